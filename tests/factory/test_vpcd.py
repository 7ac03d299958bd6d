"""A card the factory produced, handed to a reader: its chip (the saved state: the physical card) put in
vpcd's virtual reader and read through pcscd with ``chip.reader.card_read``, reads VALID against the
Party's trust list and status list, as a verifier in the field would judge it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partycard.chip.perso import chip_state_load
from partycard.chip.personalise import chip_serial_read
from partycard.chip.reader import card_read
from partycard.ecard.status import status_list_jwt_sign, status_list_pack
from partycard.trust.trustlist import trustlist_verify
from partycard.verify.chip import AaMemory, chip_verdict
from partycard.verify.status import status_list_verify_jwt
from partycard.verify.verdict import Outcome
from tests.factory.conftest import NOW, STATUS_URI, Factory, Party, finish, personalise, report_of
from tests.pcsc import pcsc_inserted, pcsc_reader

__all__ = ["pcsc_reader"]


def test_a_produced_card_reads_valid_over_pcsc(
    party: Party, factory: Factory, pcsc_reader: str, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = party.batch("2026-HN-20", 2)
    assert personalise(capsys, factory, party.batch_file(batch, factory.encryption)).status == 0
    sod = party.sod_file(batch, factory.out(f"{batch.code}.keys.p7s"), factory.signing, factory.encryption)
    assert finish(capsys, factory, sod).status == 0
    report = report_of(factory, batch.code)

    trust = trustlist_verify(party.world.trust_document, party.root, NOW)
    token = status_list_jwt_sign(
        party.store,
        "ds",
        party.world.ds,
        uri=STATUS_URI,
        packed=status_list_pack(bytearray(16), 2),  # every entry 0x00, VALID
        bits=2,
        issued_at=NOW - timedelta(minutes=5),
        expires_at=NOW + timedelta(days=1),
        ttl=timedelta(minutes=15),
    )
    status = status_list_verify_jwt(token, trust=trust, root=party.root, now=NOW)
    for card in batch.cards:
        path = factory.directory / "chips" / f"{card.number}.chip"
        with pcsc_inserted(lambda path=path: chip_state_load(path), pcsc_reader) as transport:  # type: ignore[misc]
            read = card_read(transport)
            serial = chip_serial_read(transport)
        verdict = chip_verdict(read, trust=trust, root=party.root, now=NOW, memory=AaMemory(), status=status)
        assert (verdict.outcome, verdict.reasons) == (Outcome.VALID, ()), verdict.reasons
        assert verdict.holder["card_number"] == card.number
        assert verdict.holder["full_name"] == card.print.full_name
        assert serial == report[card.number][2]  # the serial the report gives is this chip's
