"""PACE and chip authentication read for real: the applet in memory and through pcscd + vpcd.

ICAO 9303-11 §4.4 (without the CAN nothing but EF.CardAccess; a wrong CAN refused), §6.2 (a clone —
every file copied, not the private keys — fails chip authentication on the channel) and the issue's
bar: a recorded AA answer replayed by another chip fails for what it is.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from partycard.chip.image import ChipImage
from partycard.chip.reader import card_read
from partycard.ecard.status import StatusList
from partycard.verify.chip import AaMemory, chip_verdict
from partycard.verify.verdict import Outcome, Verdict
from tests.verify.conftest import NOW, Card, MemoryTransport, World, card_of, issue_card, read_over


def _verdict(world: World, read, held: tuple[StatusList, ...], **kw: object) -> Verdict:
    return chip_verdict(read, trust=world.trust(), root=world.root, now=NOW, status=held, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def pace_image(world: World) -> ChipImage:
    return issue_card(world, pace=True)


def _clone(world: World, card: Card) -> Card:
    """Every file and the CAN copied onto a chip with CA and AA keys of its own (a private key cannot be
    copied): a clone."""
    other = issue_card(world, pace=True)
    return replace(
        card,
        sign=lambda m: world.store.sign(other.chip_key_label, m),
        ca_agree=lambda point: world.store.derive(other.ca_key_label, point),
    )


@pytest.mark.parametrize("transport", ["memory", "pcsc"])
def test_a_pace_card_reads_valid_with_its_can(
    transport: str,
    world: World,
    pace_image: ChipImage,
    held: tuple[StatusList, ...],
    request: pytest.FixtureRequest,
) -> None:
    read = read_over(transport, card_of(world, pace_image), request)
    assert (read.pace, read.chip_auth, read.channel_error) == ("ok", "ok", None)
    verdict = _verdict(world, read, held, memory=AaMemory())
    assert (verdict.outcome, verdict.codes) == (Outcome.VALID, ()), verdict.reasons


@pytest.mark.parametrize("transport", ["memory", "pcsc"])
def test_without_the_can_only_ef_card_access_is_read(
    transport: str,
    world: World,
    pace_image: ChipImage,
    held: tuple[StatusList, ...],
    request: pytest.FixtureRequest,
) -> None:
    read = read_over(transport, replace(card_of(world, pace_image), can=None), request)
    assert (read.pace, dict(read.files), read.card_access) == ("required", {}, pace_image.card_access)
    assert _verdict(world, read, held).codes == ("pace_required",)


def test_a_pace_card_read_with_a_wrong_can_is_refused(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...]
) -> None:
    card = card_of(world, pace_image)
    wrong = f"{(int(pace_image.can) + 1) % 1_000_000:06d}"
    read = card_read(MemoryTransport(card.applet()), can=wrong)
    assert (read.pace, dict(read.files)) == ("failed", {})
    assert _verdict(world, read, held).codes == ("pace_refused",)


@pytest.mark.parametrize("transport", ["memory", "pcsc"])
def test_a_clone_fails_chip_authentication(
    transport: str,
    world: World,
    pace_image: ChipImage,
    held: tuple[StatusList, ...],
    request: pytest.FixtureRequest,
) -> None:
    read = read_over(transport, _clone(world, card_of(world, pace_image)), request)
    assert read.chip_auth == "failed"
    verdict = _verdict(world, read, held, memory=AaMemory())
    assert (verdict.outcome, "ca_failed" in verdict.codes) == (Outcome.INVALID, True), verdict.reasons


def test_a_recorded_aa_answer_replayed_by_a_clone_fails_for_what_it_is(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...]
) -> None:
    """A terminal recorded the genuine chip's AA answer; a clone plays it back. The clone cannot do chip
    authentication (no DG14 private key), so the verdict names it a clone (ca_failed) — whatever it
    answers to INTERNAL AUTHENTICATE, on a channel it cannot key."""
    genuine = card_of(world, pace_image)
    first = card_read(MemoryTransport(genuine.applet()), can=genuine.can)
    assert first.aa_signature is not None
    clone = replace(_clone(world, genuine), aa_answer=first.aa_signature)
    read = card_read(MemoryTransport(clone.applet()), can=clone.can)
    verdict = _verdict(world, read, held, memory=AaMemory())
    assert verdict.outcome is Outcome.INVALID and "ca_failed" in verdict.codes, verdict.reasons
