"""A batch /2 at the manufacturer (issue 18): the CAN and EF.CardAccess written, the chip-authentication
key generated on the chip (GENERATE ASYMMETRIC KEY PAIR P2 01), DG14 built from it and reported in the
key report /2, and the finishing check reading every chip with its CAN, PACE and chip authentication."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization

from partycard.batches import KeyReport, key_report_decode, verify_report
from partycard.chip.perso import LifeCycle, chip_state_load
from partycard.chip.personalise import AppletTransport
from partycard.chip.reader import card_read
from partycard.chip.securityinfos import ca_info_parse
from partycard.factory.check import chip_check
from tests.factory.conftest import NOW, Factory, Party, finish, personalise, report_of


def _keys(factory: Factory, code: str) -> KeyReport:
    data = factory.out(f"{code}.keys.p7s").read_bytes()
    return key_report_decode(verify_report(data, trusted=[factory.signing], at=NOW))


def test_a_batch_2_makes_pace_cards_with_the_ca_key_from_the_chip(
    party: Party, factory: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = party.batch("2026-HN-21", 3, version=2)
    first = personalise(capsys, factory, party.batch_file(batch, factory.encryption))
    assert first.status == 0, first.err
    report = _keys(factory, batch.code)
    assert report.version == 2
    cards = {card.number: card for card in batch.cards}
    for line in report.lines:
        assert line.outcome == "personalised"
        chip = chip_state_load(factory.directory / "chips" / f"{line.number}.chip")
        assert chip.ca_public_key is not None and chip.public_key is not None
        point = chip.ca_public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        # The CA key reported is the chip's own (generated on it), DG14 announces it (9303-11 §9.2.6),
        # and it is not the AA key (two keys, one purpose each).
        assert line.ca_key == point
        info = ca_info_parse(line.dg14)
        assert info is not None and info.public_key.public_numbers() == chip.ca_public_key.public_numbers()
        assert chip.ca_public_key.public_numbers() != chip.public_key.public_numbers()
        assert chip.files[0x010E] == line.dg14
        assert chip.card_access == cards[line.number].card_access

    # Each card's CAN is printed on it (layout v2), as pdftotext reads the print file.
    pdf = factory.directory / "print" / f"{batch.code}.pdf"
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert all(card.print.can in text for card in batch.cards)

    sod = party.sod_file(batch, factory.out(f"{batch.code}.keys.p7s"), factory.signing, factory.encryption)
    second = finish(capsys, factory, sod)
    assert second.status == 0, second.err
    assert {outcome for outcome, *_ in report_of(factory, batch.code).values()} == {"produced"}
    number = batch.cards[0].number
    chip = chip_state_load(factory.directory / "chips" / f"{number}.chip")
    assert chip.life_cycle is LifeCycle.OPERATIONAL
    # Without the CAN the finished chip gives nothing but EF.CardAccess; with it, PACE and CA succeed.
    closed = card_read(AppletTransport(chip))
    assert (closed.pace, closed.files, closed.card_access) == ("required", {}, cards[number].card_access)
    chip = chip_state_load(factory.directory / "chips" / f"{number}.chip")
    opened = card_read(AppletTransport(chip), can=cards[number].print.can)
    assert (opened.pace, opened.chip_auth, opened.channel_error) == ("ok", "ok", None)
    # The CAN stays out of the factory's output.
    assert cards[number].print.can not in first.out + first.err + second.out + second.err


def test_the_check_spoils_a_chip_whose_can_or_dg14_is_not_the_reported_one(
    party: Party, factory: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = party.batch("2026-HN-22", 1, version=2)
    assert personalise(capsys, factory, party.batch_file(batch, factory.encryption)).status == 0
    sod = party.sod_file(batch, factory.out(f"{batch.code}.keys.p7s"), factory.signing, factory.encryption)
    assert finish(capsys, factory, sod).status == 0
    number, can = batch.cards[0].number, batch.cards[0].print.can
    line = _keys(factory, batch.code).lines[0]
    path = factory.directory / "chips" / f"{number}.chip"
    assert chip_state_load(path).life_cycle is LifeCycle.OPERATIONAL

    sod_bytes = chip_state_load(path).files[0x011D]
    good = chip_check(
        AppletTransport(chip_state_load(path)),
        root=party.root,
        at=NOW,
        dg15=line.dg15,
        sod=sod_bytes,
        can=can,
        dg14=line.dg14,
    )
    assert good == []
    wrong_can = f"{(int(can) + 1) % 1_000_000:06d}"
    refused = chip_check(
        AppletTransport(chip_state_load(path)),
        root=party.root,
        at=NOW,
        dg15=line.dg15,
        sod=sod_bytes,
        can=wrong_can,
        dg14=line.dg14,
    )
    assert refused == ["PACE with the card's CAN did not succeed (failed)"]
    other = replace(line, dg14=line.dg14[:-1] + bytes([line.dg14[-1] ^ 1]))
    mismatch = chip_check(
        AppletTransport(chip_state_load(path)),
        root=party.root,
        at=NOW,
        dg15=line.dg15,
        sod=sod_bytes,
        can=can,
        dg14=other.dg14,
    )
    assert mismatch == ["DG14 on the chip is not the one it reported"]


def test_a_batch_2_on_a_layout_without_the_can_is_refused(
    party: Party, factory: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = replace(party.batch("2026-HN-23", 1, version=2), layout="v1")
    refused = personalise(capsys, factory, party.batch_file(batch, factory.encryption))
    assert refused.status == 9 and "does not print the CAN" in refused.err


def test_the_ledger_keeps_what_pass_2_needs(
    party: Party, factory: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = party.batch("2026-HN-24", 1, version=2)
    assert personalise(capsys, factory, party.batch_file(batch, factory.encryption)).status == 0
    events = [json.loads(x) for x in (factory.directory / "ledger.jsonl").read_text().splitlines()]
    (done,) = [e for e in events if e["event"] == "card_personalised"]
    line = _keys(factory, batch.code).lines[0]
    assert (done["can"], bytes.fromhex(done["dg14"]), bytes.fromhex(done["ca_key"])) == (
        batch.cards[0].print.can,
        line.dg14,
        line.ca_key,
    )
