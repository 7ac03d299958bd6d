"""Active authentication as the fallback the trust list allows (issue 18).

ICAO 9303-11 §6.2: a chip whose DG14 (vouched for by the SOD) carries a chip authentication key proves
itself by keying the secure channel with it; §6.1: active authentication signs the reader's nonce with
the DG15 key but is not bound to the channel, so a relay to a genuine chip passes it. The rule
(docs/trust.md, "Chip policy"): a chip that offers CA and was read without it passes on AA alone only
where the trust list the verifier holds says ``chip_policy.aa_fallback: true`` (signed by the
authority); otherwise ``ca_not_performed`` (cannot tell). A list of version 1 or 2 (before the field)
allows no fallback. A failed CA (a clone) is never rescued by the fallback, and a chip that offers no CA
(a card made before PACE) passes on AA whatever the policy.

The first part judges reads as the reader reports them; the second reads a real card in memory and over
pcscd + vpcd whose applet serves its files without PACE, so the reader has no channel to run CA on.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import replace
from types import MappingProxyType

import pytest

from partycard.chip.aa import der_to_plain
from partycard.chip.image import ChipImage
from partycard.chip.reader import CardRead
from partycard.ecard.status import StatusList
from partycard.trust.trustlist import TrustList, trustlist_verify
from partycard.verify.chip import AaMemory, chip_verdict
from partycard.verify.verdict import Outcome, Verdict
from tests.pki import trust_with_policy
from tests.verify.conftest import NOW, World, card_of, issue_card, read_over

PREFIX = "w"  # tests/verify/conftest.py's world: its trust-list signer is "w-tl"


def _verdict(
    read: CardRead, trust: TrustList, world: World, held: tuple[StatusList, ...], **kw: object
) -> Verdict:
    return chip_verdict(read, trust=trust, root=world.root, now=NOW, status=held, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def pace_image(world: World) -> ChipImage:
    return issue_card(world, pace=True)


@pytest.fixture(scope="module")
def allowing(world: World) -> TrustList:
    trust = trust_with_policy(world, PREFIX, aa_fallback=True)
    assert trust.chip_policy.aa_fallback
    return trust


@pytest.fixture(scope="module")
def refusing(world: World) -> TrustList:
    return trust_with_policy(world, PREFIX, aa_fallback=False)


def _version_2(world: World) -> TrustList:
    """The world's list as a version 2 list (sequence, no chip_policy), signed by its signer."""
    payload = json.loads(base64.b64decode(json.loads(world.trust_document)["payload"]))
    del payload["chip_policy"]
    payload["version"] = 2
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    envelope = json.loads(world.trust_document) | {
        "payload": base64.b64encode(raw).decode(),
        "signature": base64.b64encode(world.store.sign(f"{PREFIX}-tl", raw)).decode(),
    }
    return trustlist_verify(json.dumps(envelope), world.root, NOW)


def _skipped_ca(world: World, image: ChipImage) -> CardRead:
    """Every file and a genuine AA answer to a fresh nonce, no chip authentication (a reader without CA)."""
    nonce = os.urandom(8)
    return CardRead(
        files=MappingProxyType(dict(image.files)),
        aa_nonce=nonce,
        aa_signature=der_to_plain(world.store.sign(image.chip_key_label, nonce), 32),
        aa_status=0x9000,
        card_access=image.card_access,
        pace="ok",
        chip_auth="none",
    )


# --- the rule over what the reader reports -------------------------------------------------------------


def test_the_verifier_takes_the_fallback_from_the_list(
    world: World,
    pace_image: ChipImage,
    held: tuple[StatusList, ...],
    allowing: TrustList,
    refusing: TrustList,
) -> None:
    read = _skipped_ca(world, pace_image)
    passed = _verdict(read, allowing, world, held)
    assert (passed.outcome, passed.codes) == (Outcome.VALID, ()), passed.reasons
    for trust in (refusing, world.trust()):  # said no; said nothing (a new authority's list: no)
        refused = _verdict(read, trust, world, held)
        assert (refused.outcome, refused.codes) == (Outcome.CANNOT_TELL, ("ca_not_performed",))


def test_a_version_2_list_allows_no_fallback(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...]
) -> None:
    old = _version_2(world)
    assert old.sequence >= 1 and not old.chip_policy.aa_fallback
    assert _verdict(_skipped_ca(world, pace_image), old, world, held).codes == ("ca_not_performed",)


def test_the_argument_still_overrides_the_list(
    world: World,
    pace_image: ChipImage,
    held: tuple[StatusList, ...],
    allowing: TrustList,
    refusing: TrustList,
) -> None:
    read = _skipped_ca(world, pace_image)
    assert _verdict(read, allowing, world, held, aa_fallback=False).codes == ("ca_not_performed",)
    assert _verdict(read, refusing, world, held, aa_fallback=True).codes == ()


def test_the_fallback_still_needs_a_right_aa_answer(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...], allowing: TrustList
) -> None:
    read = _skipped_ca(world, pace_image)
    assert _verdict(replace(read, aa_signature=bytes(64)), allowing, world, held).codes == ("aa_failed",)
    refused = replace(read, aa_signature=None, aa_status=0x6985)
    assert _verdict(refused, allowing, world, held).codes == ("aa_refused",)
    memory = AaMemory()
    assert _verdict(read, allowing, world, held, memory=memory).ok
    replayed = replace(read, aa_nonce=os.urandom(8))
    assert _verdict(replayed, allowing, world, held, memory=memory).codes == ("aa_replayed",)


def test_the_fallback_never_rescues_a_failed_chip_authentication(
    world: World, pace_image: ChipImage, held: tuple[StatusList, ...], allowing: TrustList
) -> None:
    """A clone copies DG14 and cannot key the channel: its (relayed or genuine-looking) AA answer is
    beside the point."""
    clone = replace(_skipped_ca(world, pace_image), chip_auth="failed")
    verdict = _verdict(clone, allowing, world, held)
    assert (verdict.outcome, verdict.codes) == (Outcome.INVALID, ("ca_failed",))


def test_a_card_without_chip_authentication_passes_on_aa_whatever_the_policy(
    world: World, held: tuple[StatusList, ...], allowing: TrustList, refusing: TrustList
) -> None:
    """A card made before PACE (DG14 offers AA only) has nothing better to prove itself with."""
    old_card = issue_card(world)
    read = replace(_skipped_ca(world, old_card), card_access=None, pace="none")
    for trust in (allowing, refusing):
        assert _verdict(read, trust, world, held).codes == ()


# --- real reads: a card that offers CA, read without it -------------------------------------------------


@pytest.mark.parametrize("transport", ["memory", "pcsc"])
def test_a_real_read_without_ca_follows_the_list(
    transport: str,
    world: World,
    pace_image: ChipImage,
    held: tuple[StatusList, ...],
    allowing: TrustList,
    refusing: TrustList,
    request: pytest.FixtureRequest,
) -> None:
    # The card's own files, DG14 with its CA key among them, served without PACE: no channel, no CA.
    card = replace(card_of(world, pace_image), can=None, card_access=None)
    read = read_over(transport, card, request)
    assert (read.pace, read.chip_auth, read.channel_error) == ("none", "none", None)
    assert read.aa_signature is not None
    refused = _verdict(read, refusing, world, held)
    assert (refused.outcome, refused.codes) == (Outcome.CANNOT_TELL, ("ca_not_performed",))
    passed = _verdict(read, allowing, world, held)
    assert (passed.outcome, passed.codes) == (Outcome.VALID, ()), passed.reasons
