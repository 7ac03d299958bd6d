"""The HSM path end to end: root, document signer and chip key on a SoftHSM2 token (non-extractable), a
card signed there with the batch signer, read by the reader and judged valid; the handle cache survives
many signatures and a key that is not on the token is still refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from partycard.chip.sod import SodSigner
from partycard.trust.keystore import KeyNotFound
from partycard.verify.chip import chip_verdict
from partycard.verify.verdict import Outcome
from tests.trust.keystore.conftest import SoftHsm
from tests.verify.conftest import NOW, MemoryTransport, build_world, card_of, issue_card, status_lists_of


@pytest.fixture(scope="module")
def hsm(softhsm: SoftHsm) -> Iterator[Any]:
    from partycard.trust.keystore.pkcs11 import Pkcs11KeyStore

    store = Pkcs11KeyStore(softhsm.module_path, softhsm.token_label, softhsm.user_pin)
    yield store
    store.close()


def test_card_signed_in_the_hsm_reads_valid(hsm: Any) -> None:
    from partycard.chip.reader import card_read

    world = build_world(hsm, "hsm-card")
    card = card_of(world, issue_card(world))
    verdict = chip_verdict(
        card_read(MemoryTransport(card.applet())),
        trust=world.trust(),
        root=world.root,
        now=NOW,
        status=status_lists_of(world),  # signed in the HSM too
    )
    assert (verdict.outcome, verdict.codes) == (Outcome.VALID, ())

    label, certificate = world.signers["good"]
    signer = SodSigner(store=hsm, signer_label=label, signer_cert=certificate)
    groups = {n: card.files[0x0100 | n] for n in (1, 2, 14, 15)}
    signed_at = certificate.not_valid_before_utc + timedelta(days=1)
    sods = {signer.build(groups, signed_at) for _ in range(50)}
    assert len(sods) == 50  # ECDSA is randomised: fifty distinct, every one from the cached handle
    with pytest.raises(KeyNotFound):
        hsm.sign("hsm-card-no-such-key", b"x")


def test_a_pace_card_with_its_keys_in_the_hsm_reads_valid_over_pace_and_ca(hsm: Any) -> None:
    """Issue 18: the chip-authentication key generated on the token for key agreement only, the applet's
    ECDH through CKM_ECDH1_DERIVE: PACE with the CAN, chip authentication, the files over secure
    messaging, and a valid verdict."""
    from partycard.chip.reader import card_read

    world = build_world(hsm, "hsm-pace")
    image = issue_card(world, pace=True)
    card = card_of(world, image)
    read = card_read(MemoryTransport(card.applet()), can=image.can)
    assert (read.pace, read.chip_auth, read.channel_error) == ("ok", "ok", None)
    verdict = chip_verdict(read, trust=world.trust(), root=world.root, now=NOW, status=status_lists_of(world))
    assert (verdict.outcome, verdict.codes) == (Outcome.VALID, ())
