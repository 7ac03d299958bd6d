"""Issue 18 through the batch path: a batch on layout v2 is a ``partycard-batch/2`` — a CAN per card
(stored on its ``BatchCard``, printed, written to the chip), EF.CardAccess, the chip-authentication key
generated on the chip and DG14 built from it by the factory (key report /2), the SOD signed over that
DG14 — and every card the factory finishes opens with its CAN, PACE and chip authentication. A key
report whose DG14 does not carry the chip's key, or whose version does not answer the batch, is refused
whole; a batch on layout v1 is still a plain ``partycard-batch/1``."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from partycard.batches import batch_decode
from partycard.chip.lds import dg14_build
from partycard.chip.perso import chip_state_load
from partycard.chip.personalise import AppletTransport
from partycard.chip.reader import card_read
from partycard.chip.securityinfos import card_access_parse
from partycard.chip.sod import sod_parse
from partycard.core import clock
from partycard.production import services
from partycard.production.models import Batch, BatchCard
from partycard.production.services.building import batch_file_path
from tests.production.test_reports import refused, resign
from tests.production.test_round_trip import approve, build, finish, personalise, sign_sods

pytestmark = pytest.mark.django_db


def _batch_content(world: Any, batch: Batch) -> Any:
    """The sealed batch as the factory opens it (its own key, the Party's root)."""
    from partycard.factory.files import sealed_open

    data = batch_file_path(batch).read_bytes()
    return batch_decode(sealed_open(data, factory=world.factory(), at=clock.now(), name="batch"))


@pytest.fixture
def sealed_2(world: Any) -> Batch:
    approve("v2")
    batch = next(b for b in services.batches_plan(actor=None, layout="v2") if b.card_count == 3)
    return build(batch)


def test_a_batch_2_card_opens_with_its_can_pace_and_chip_authentication(world: Any, sealed_2: Batch) -> None:
    rows = list(BatchCard.objects.filter(batch=sealed_2).order_by("seq"))
    cans = [row.can for row in rows]
    # One CAN per card, six digits; DG14 is not the Centre's any more (DG1, DG2, DG13 kept).
    assert all(len(c) == 6 and c.isdigit() for c in cans) and len(set(cans)) == 3
    from partycard.production.services.building import dg_hashes_decode

    assert all(sorted(dg_hashes_decode(row.dg_hashes)) == [1, 2, 13] for row in rows)
    content = _batch_content(world, sealed_2)
    assert content.version == 2
    assert [card.print.can for card in content.cards] == cans
    assert all(card_access_parse(card.card_access).parameter_id == 12 for card in content.cards)
    assert all(0x010E not in card.files for card in content.cards)
    services.keys_import(actor=None, data=personalise(world, sealed_2), enqueue=False)
    rows = list(BatchCard.objects.filter(batch=sealed_2).order_by("seq"))
    assert all(sorted(dg_hashes_decode(row.dg_hashes)) == [1, 2, 13, 14] for row in rows)
    sign_sods(sealed_2)
    services.report_import(actor=None, data=finish(world, sealed_2))
    sealed_2.refresh_from_db()
    assert (sealed_2.state, sealed_2.produced, sealed_2.spoiled) == (Batch.State.CLOSED, 3, 0)
    for row in rows:
        number = row.card.number
        path = world.factory_dir / "chips" / f"{number}.chip"
        chip = chip_state_load(path)
        assert chip.ca_public_key is not None
        # EF.SOD signs the DG14 on the chip, which carries the chip's own CA key (9303-11 §6.2).
        assert (
            sod_parse(chip.files[0x011D]).data_group_hashes[14] == hashlib.sha256(chip.files[0x010E]).digest()
        )
        assert dg14_build(ca_public_key=chip.ca_public_key) == chip.files[0x010E]
        parameter = card_access_parse(chip.card_access or b"").parameter_id
        assert parameter == 12  # settings.PARTYCARD["PACE_PARAMETER_ID"]'s default, NIST P-256
        closed = card_read(AppletTransport(chip))
        assert (closed.pace, closed.files) == ("required", {})
        opened = card_read(AppletTransport(chip_state_load(path)), can=row.can)
        assert (opened.pace, opened.chip_auth, opened.channel_error) == ("ok", "ok", None)


def test_a_key_report_whose_dg14_key_is_not_the_chips_is_refused(world: Any, sealed_2: Batch) -> None:
    keys = personalise(world, sealed_2)
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()

    def other_dg14(report: Any) -> Any:
        first = dataclasses.replace(report.lines[0], dg14=dg14_build(ca_public_key=stranger))
        return dataclasses.replace(report, lines=(first, *report.lines[1:]))

    assert refused(resign(world, keys, other_dg14)) == ["dg14_mismatch"]

    def other_key(report: Any) -> Any:  # the key swapped, DG14 kept: still not the same
        point = stranger.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        first = dataclasses.replace(report.lines[0], ca_key=point)
        return dataclasses.replace(report, lines=(first, *report.lines[1:]))

    assert refused(resign(world, keys, other_key)) == ["dg14_mismatch"]

    def no_ca(report: Any) -> Any:  # DG14 of a plain card (AA only): CA would never run
        first = dataclasses.replace(report.lines[0], dg14=dg14_build())
        return dataclasses.replace(report, lines=(first, *report.lines[1:]))

    assert refused(resign(world, keys, no_ca)) == ["dg14_mismatch"]

    def off_curve(report: Any) -> Any:
        first = dataclasses.replace(report.lines[0], ca_key=b"\x04" + bytes(64))
        return dataclasses.replace(report, lines=(first, *report.lines[1:]))

    assert refused(resign(world, keys, off_curve)) == ["bad_key"]

    def same_key(report: Any) -> Any:  # two cards, one CA key
        second = dataclasses.replace(
            report.lines[1], ca_key=report.lines[0].ca_key, dg14=report.lines[0].dg14
        )
        return dataclasses.replace(report, lines=(report.lines[0], second, *report.lines[2:]))

    assert refused(resign(world, keys, same_key)) == ["duplicate_key"]

    def version_1(report: Any) -> Any:  # a /1 report (no CA keys) for a /2 batch
        lines = tuple(dataclasses.replace(line, ca_key=b"", dg14=b"") for line in report.lines)
        return dataclasses.replace(report, lines=lines, version=1)

    assert refused(resign(world, keys, version_1)) == ["format"]
    # The genuine report is then accepted.
    services.keys_import(actor=None, data=keys, enqueue=False)
    sealed_2.refresh_from_db()
    assert sealed_2.state == Batch.State.KEYS_IMPORTED


def test_a_batch_on_layout_v1_is_still_a_plain_batch_1(world: Any) -> None:
    approve("v1")
    batch = build(next(b for b in services.batches_plan(actor=None, layout="v1") if b.card_count == 3))
    rows = list(BatchCard.objects.filter(batch=batch))
    assert {row.can for row in rows} == {""}
    content = _batch_content(world, batch)
    assert content.version == 1 and all(0x010E in card.files for card in content.cards)
    services.keys_import(actor=None, data=personalise(world, batch), enqueue=False)
    sign_sods(batch)
    services.report_import(actor=None, data=finish(world, batch))
    batch.refresh_from_db()
    assert (batch.state, batch.produced) == (Batch.State.CLOSED, 3)
    chip = chip_state_load(world.factory_dir / "chips" / f"{rows[0].card.number}.chip")
    assert chip.card_access is None and chip.ca_public_key is None
    plain = card_read(AppletTransport(chip))
    assert (plain.pace, plain.chip_auth) == ("none", "none") and 0x0101 in plain.files
