"""The verdict on a card made since issue 18: PACE with the CAN, secure messaging, chip authentication.

ICAO 9303-11 §4.4 (PACE: without the CAN printed on the card nothing but EF.CardAccess is readable; a
wrong CAN is refused), §6.2 (chip authentication: the chip proves possession of the private key whose
public half DG14 carries, and the SOD vouches for DG14), §7 (active authentication stays the fallback a
trust list may allow: an AA answer is not bound to the channel) and §9.8 (secure messaging: a response
with a wrong MAC or counter is an error, never data). The first part judges reads as the reader reports
them (``CardRead``), the second reads real cards in memory and over pcscd + vpcd.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from types import MappingProxyType

import pytest

from partycard.chip.aa import der_to_plain
from partycard.chip.image import FID_CARD_ACCESS, ChipImage
from partycard.chip.lds import FID_DG14, FID_SOD
from partycard.chip.reader import CardRead
from partycard.chip.securityinfos import card_access_parse
from partycard.chip.sod import sod_build
from partycard.ecard.status import StatusList
from partycard.verify.chip import SM_REASONS, AaMemory, chip_verdict
from partycard.verify.verdict import Outcome, Verdict
from tests.verify.conftest import (
    CARD,
    NOW,
    World,
    issue_card,
)


def _verdict(world: World, read: CardRead, held: tuple[StatusList, ...], **kw: object) -> Verdict:
    return chip_verdict(read, trust=world.trust(), root=world.root, now=NOW, status=held, **kw)  # type: ignore[arg-type]


def _as_read(world: World, image: ChipImage, **fields: object) -> CardRead:
    """What a reader that did PACE (and, as ``fields`` say, CA) reports for ``image``: every file and a
    genuine AA answer to a fresh nonce (plain r || s, 9303-11 §6.1)."""
    nonce = os.urandom(8)
    answer = der_to_plain(world.store.sign(image.chip_key_label, nonce), 32)
    read = CardRead(
        files=MappingProxyType(dict(image.files)),
        aa_nonce=nonce,
        aa_signature=answer,
        aa_status=0x9000,
        card_access=image.card_access,
        pace="ok",
        chip_auth="ok",
    )
    return replace(read, **fields)


@pytest.fixture(scope="module")
def pace_image(world: World) -> ChipImage:
    return issue_card(world, pace=True)


# --- the verdict's rules over what the reader reports ---------------------------------------------------


def test_the_image_announces_pace_and_ca(pace_image: ChipImage) -> None:
    assert len(pace_image.can) == 6 and pace_image.can.isdigit()
    assert card_access_parse(pace_image.card_access).parameter_id == 12  # P-256 unless the setting says
    assert FID_CARD_ACCESS not in pace_image.files  # in the MF, not in the application


def test_pace_and_ca_ok_is_valid(world: World, pace_image: ChipImage, held: tuple[StatusList, ...]) -> None:
    verdict = _verdict(world, _as_read(world, pace_image), held)
    assert (verdict.outcome, verdict.codes) == (Outcome.VALID, ())
    assert verdict.holder["card_number"] == CARD.card_number


def test_ca_failed_is_a_clone(world: World, pace_image: ChipImage, held: tuple[StatusList, ...]) -> None:
    verdict = _verdict(world, _as_read(world, pace_image, chip_auth="failed"), held)
    assert (verdict.outcome, verdict.codes) == (Outcome.INVALID, ("ca_failed",))


def test_a_chip_offering_ca_does_not_pass_on_aa_alone(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...]
) -> None:
    """DG14 announces CA and the read skipped it: AA proves the key but not the channel (9303-11 §7)."""
    read = _as_read(world, pace_image, chip_auth="none")
    assert _verdict(world, read, held).codes == ("ca_not_performed",)
    assert _verdict(world, read, held).outcome is Outcome.CANNOT_TELL
    allowed = _verdict(world, read, held, aa_fallback=True)  # where the trust list allows AA alone
    assert (allowed.outcome, allowed.codes) == (Outcome.VALID, ())
    forged = replace(read, aa_signature=bytes(64))
    assert _verdict(world, forged, held, aa_fallback=True).codes == ("aa_failed",)


def test_after_ca_a_wrong_aa_answer_still_fails(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...]
) -> None:
    read = _as_read(world, pace_image)
    assert _verdict(world, replace(read, aa_signature=bytes(64)), held).codes == ("aa_failed",)
    # A reader that did CA and no AA: CA is the proof; no AA answer is needed.
    refused = replace(read, aa_signature=None, aa_status=0x6985)
    assert _verdict(world, refused, held).codes == ()


def test_a_replayed_aa_answer_is_named_so(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...]
) -> None:
    memory = AaMemory()
    read = _as_read(world, pace_image)
    assert _verdict(world, read, held, memory=memory).ok
    assert _verdict(world, replace(read, aa_nonce=os.urandom(8)), held, memory=memory).codes == (
        "aa_replayed",
    )


def test_no_can_reads_only_ef_card_access_and_says_so(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...]
) -> None:
    read = _as_read(world, pace_image, files=MappingProxyType({}), pace="required", chip_auth="none")
    verdict = _verdict(world, read, held)
    assert (verdict.outcome, verdict.codes) == (Outcome.CANNOT_TELL, ("pace_required",))
    assert "CAN" in verdict.reasons[0].message_en and not verdict.holder


def test_a_refused_can_says_check_the_can(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...]
) -> None:
    read = _as_read(world, pace_image, files=MappingProxyType({}), pace="failed", chip_auth="none")
    verdict = _verdict(world, read, held)
    assert (verdict.outcome, verdict.codes) == (Outcome.CANNOT_TELL, ("pace_refused",))
    assert "check the CAN" in verdict.reasons[0].message_en


@pytest.mark.parametrize("code", [*sorted(SM_REASONS), "sm_something_new"])
def test_each_secure_messaging_error_has_its_own_code(
    code: str, world: World, pace_image: ChipImage, held: tuple[StatusList, ...]
) -> None:
    read = _as_read(world, pace_image, channel_error=code)
    verdict = _verdict(world, read, held)
    expected = code if code in SM_REASONS else "sm_error"
    assert (verdict.outcome, verdict.codes) == (Outcome.CANNOT_TELL, (expected,))
    assert not verdict.holder  # an interrupted channel's data is not shown


def test_a_ca_key_the_sod_does_not_cover_proves_nothing(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...]
) -> None:
    """EF.SOD re-signed without DG14 (the DS's own signature, so passive authentication passes): the CA
    key DG14 announces is vouched for by nobody, and CA with it proves nothing."""
    label, certificate = world.signers["good"]
    files = dict(pace_image.files)
    groups = {n: files[0x0100 | n] for n in (1, 2, 13, 15)}
    files[FID_SOD] = sod_build(
        store=world.store,
        signer_label=label,
        signer_cert=certificate,
        data_groups=groups,
        signed_at=certificate.not_valid_before_utc + timedelta(days=1),
    )
    image = replace(pace_image, files=MappingProxyType(files))
    verdict = _verdict(world, _as_read(world, image), held)
    assert "ca_key_not_signed" in verdict.codes and verdict.outcome is Outcome.INVALID


def test_a_malformed_dg14_ca_key_is_invalid(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...]
) -> None:
    files = dict(pace_image.files)
    files[FID_DG14] = files[FID_DG14].replace(b"\x03\x42\x00\x04", b"\x03\x42\x00\x05")  # SPKI point prefix
    verdict = _verdict(world, _as_read(world, replace(pace_image, files=MappingProxyType(files))), held)
    assert verdict.outcome is Outcome.INVALID
    assert {"dg_hash_mismatch", "ca_key_malformed"} <= set(verdict.codes)


def test_a_channel_broken_by_a_failed_ca_is_named_a_clone(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...]
) -> None:
    """A clone derives other session keys from chip authentication, so its first answer on them cannot
    verify and the channel breaks: the verdict names the cause (ca_failed), not the symptom."""
    read = _as_read(world, pace_image, chip_auth="failed", channel_error="sm_missing")
    verdict = _verdict(world, read, held)
    assert (verdict.outcome, verdict.codes) == (Outcome.INVALID, ("ca_failed",))
    assert not verdict.holder
