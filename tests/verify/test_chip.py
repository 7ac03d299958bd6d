"""The tamper matrix: each attack on a party card is caught with its own reason, in memory and over the
real PC/SC stack (pcscd + vpcd), plus the verdict's other rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partycard.chip.aa import aa_verify
from partycard.chip.errors import ChipError
from partycard.chip.lds import FID_COM, FID_DG1, FID_DG2, FID_DG15, FID_SOD, dg1_build, dg15_parse
from partycard.chip.reader import CardRead, card_read
from partycard.chip.sod import dg_hash, sod_parse
from partycard.verify.chip import AaMemory, chip_verdict
from partycard.verify.verdict import Outcome
from tests.verify.conftest import (
    CARD,
    NOW,
    T0,
    Card,
    MemoryTransport,
    World,
    card_of,
    issue_card,
    read_over,
)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def genuine(w: World, **_: World) -> Card:
    return card_of(w, issue_card(w))


def dg_changed(w: World, **_: World) -> Card:
    card = genuine(w)
    files = dict(card.files)
    files[FID_DG1] = dg1_build(replace(CARD, full_name="Trần Văn Giả"))
    return replace(card, files=files)


def sod_hash_changed(w: World, **_: World) -> Card:
    """A DG2 hash inside the signed content is rewritten to match a swapped photo."""
    card = genuine(w)
    files = dict(card.files)
    old = dg_hash(files[FID_DG2])
    files[FID_DG2] = _flip(files[FID_DG2], len(files[FID_DG2]) // 2)
    files[FID_SOD] = files[FID_SOD].replace(old, dg_hash(files[FID_DG2]))
    return replace(card, files=files)


def sod_signature_changed(w: World, **_: World) -> Card:
    card = genuine(w)
    files = dict(card.files)
    signature = sod_parse(files[FID_SOD]).signature
    at = files[FID_SOD].index(signature) + len(signature) - 1
    files[FID_SOD] = _flip(files[FID_SOD], at)
    return replace(card, files=files)


def unknown_signer(w: World, impostor: World, **_: World) -> Card:
    return card_of(impostor, issue_card(impostor))


def different_root(w: World, other: World, **_: World) -> Card:
    return card_of(other, issue_card(other))


def revoked_signer(w: World, **_: World) -> Card:
    return card_of(w, issue_card(w, "revoked"))


def expired_signer(w: World, **_: World) -> Card:
    return card_of(w, issue_card(w, "expired"))


def cloned_chip(w: World, **_: World) -> Card:
    """The genuine files copied onto a chip with a key of its own (the genuine key cannot be copied)."""
    card = genuine(w)
    other_chip = issue_card(w)
    return replace(card, sign=lambda m: w.store.sign(other_chip.chip_key_label, m))


def signed_outside_usage(w: World, **_: World) -> Card:
    return card_of(w, issue_card(w, signed_at=T0 + timedelta(days=200)))


def signer_not_on_list(w: World, **_: World) -> Card:
    return card_of(w, issue_card(w, "unlisted"))


def dg15_removed(w: World, **_: World) -> Card:
    card = genuine(w)
    return replace(card, files={k: v for k, v in card.files.items() if k != FID_DG15})


MATRIX: list[tuple[Callable[..., Card], Outcome, set[str]]] = [
    (genuine, Outcome.VALID, set()),
    (dg_changed, Outcome.INVALID, {"dg_hash_mismatch"}),
    (sod_hash_changed, Outcome.INVALID, {"sod_digest_mismatch"}),
    (sod_signature_changed, Outcome.INVALID, {"sod_signature_invalid"}),
    (unknown_signer, Outcome.INVALID, {"signer_unknown"}),
    (different_root, Outcome.INVALID, {"signer_other_root"}),
    (revoked_signer, Outcome.INVALID, {"signer_revoked"}),
    (expired_signer, Outcome.INVALID, {"signer_expired"}),
    (cloned_chip, Outcome.INVALID, {"aa_failed"}),
    (signed_outside_usage, Outcome.INVALID, {"signed_outside_usage_period"}),
    (signer_not_on_list, Outcome.CANNOT_TELL, {"signer_not_in_trust_list"}),
    (dg15_removed, Outcome.INVALID, {"dg_missing", "aa_unavailable"}),
]


@pytest.mark.parametrize("transport", ["memory", "pcsc"])
@pytest.mark.parametrize(("build", "outcome", "codes"), MATRIX, ids=[m[0].__name__ for m in MATRIX])
def test_tamper_matrix(
    build: Callable[..., Card],
    outcome: Outcome,
    codes: set[str],
    transport: str,
    world: World,
    impostor: World,
    other_root: World,
    request: pytest.FixtureRequest,
) -> None:
    card = build(world, impostor=impostor, other=other_root)
    read = read_over(transport, card, request)
    verdict = chip_verdict(read, trust=world.trust(), root=world.root, now=NOW, memory=AaMemory())
    assert verdict.outcome is outcome, verdict.reasons
    assert set(verdict.codes) == codes, verdict.reasons
    assert verdict.holder["card_number"] == CARD.card_number  # read, shown after the verdict


@pytest.mark.parametrize("transport", ["memory", "pcsc"])
def test_replayed_aa_answer(transport: str, world: World, request: pytest.FixtureRequest) -> None:
    """A chip that plays back an answer recorded from an earlier session: named a replay by a reader
    that saw the answer, and refused as failing AA by one that did not."""
    card = genuine(world)
    memory = AaMemory()
    first = read_over(transport, card, request)
    assert (
        chip_verdict(first, trust=world.trust(), root=world.root, now=NOW, memory=memory).outcome
        is Outcome.VALID
    )
    assert first.aa_signature is not None
    replaying = replace(card, aa_answer=first.aa_signature)

    again = read_over(transport, replaying, request)
    assert again.aa_nonce != first.aa_nonce
    verdict = chip_verdict(again, trust=world.trust(), root=world.root, now=NOW, memory=memory)
    assert (verdict.outcome, verdict.codes) == (Outcome.INVALID, ("aa_replayed",))

    elsewhere = chip_verdict(again, trust=world.trust(), root=world.root, now=NOW, memory=AaMemory())
    assert (elsewhere.outcome, elsewhere.codes) == (Outcome.INVALID, ("aa_failed",))


def test_stale_trust_list_cannot_tell(world: World) -> None:
    read = card_read(MemoryTransport(genuine(world).applet()))
    later = NOW + timedelta(days=30)
    verdict = chip_verdict(read, trust=world.trust(later), root=world.root, now=later)
    assert (verdict.outcome, verdict.codes) == (Outcome.CANNOT_TELL, ("trust_list_stale",))
    assert "UTC" in verdict.reasons[0].message_vi


def test_every_problem_is_reported_at_once(world: World, impostor: World) -> None:
    """A revoked signer's card, with DG1 changed, on a cloned chip: three reasons, one read."""
    card = card_of(world, issue_card(world, "revoked"))
    files = dict(card.files)
    files[FID_DG1] = dg1_build(replace(CARD, card_number="09.999.999"))
    clone = issue_card(world)
    forged = Card(files=files, sign=lambda m: world.store.sign(clone.chip_key_label, m))
    read = card_read(MemoryTransport(forged.applet()))
    verdict = chip_verdict(read, trust=world.trust(), root=world.root, now=NOW)
    assert set(verdict.codes) == {"dg_hash_mismatch", "signer_revoked", "aa_failed"}
    assert verdict.outcome is Outcome.INVALID


def test_missing_sod_and_refused_aa(world: World) -> None:
    card = genuine(world)
    files = {k: v for k, v in card.files.items() if k != FID_SOD}
    read = card_read(MemoryTransport(replace(card, files=files).applet()))
    verdict = chip_verdict(read, trust=world.trust(), root=world.root, now=NOW)
    # Without the SOD nothing vouches for DG15, so AA proves nothing either.
    assert set(verdict.codes) == {"sod_missing", "aa_unavailable"}


def test_reader_nonce_is_fresh_and_answer_verifies(world: World) -> None:
    card = genuine(world)
    reads = [card_read(MemoryTransport(card.applet())) for _ in range(3)]
    assert len({r.aa_nonce for r in reads}) == 3
    key = dg15_parse(card.files[FID_DG15]).public_key
    for r in reads:
        assert r.aa_signature is not None and aa_verify(key, r.aa_nonce, r.aa_signature)


def test_aa_memory_is_bounded_and_persists() -> None:
    memory = AaMemory(size=2)
    assert not memory.seen_before(b"a") and not memory.seen_before(b"b") and not memory.seen_before(b"c")
    assert not memory.seen_before(b"a")  # pushed out by c
    restored = AaMemory(size=2)
    restored.remember([*memory.fingerprints, "not hex", "ab"])
    assert restored.seen_before(b"a") and restored.seen_before(b"c")
    assert not restored.seen_before(b"b")


def test_naive_now_refused(world: World) -> None:
    read = card_read(MemoryTransport(genuine(world).applet()))
    with pytest.raises(ValueError, match="timezone"):
        chip_verdict(read, trust=world.trust(), root=world.root, now=NOW.replace(tzinfo=None))


@pytest.fixture(scope="module")
def genuine_read(world: World) -> tuple[Card, CardRead]:
    card = genuine(world)
    return card, card_read(MemoryTransport(card.applet()))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_byte_changed_in_a_signed_file_is_never_valid(
    data: st.DataObject, world: World, genuine_read: tuple[Card, CardRead]
) -> None:
    """Fuzz: flip any bit of any signed file (the SOD and every data group): never "valid", never a crash."""
    _, read = genuine_read
    fid = data.draw(st.sampled_from(sorted(f for f in read.files if f != FID_COM)))
    content = read.files[fid]
    at = data.draw(st.integers(0, len(content) - 1))
    bit = data.draw(st.integers(0, 7))
    files = dict(read.files)
    files[fid] = content[:at] + bytes([content[at] ^ (1 << bit)]) + content[at + 1 :]
    verdict = chip_verdict(replace(read, files=files), trust=world.trust(), root=world.root, now=NOW)
    assert verdict.outcome is not Outcome.VALID
    assert verdict.reasons


@settings(max_examples=300, deadline=None)
@given(answers=st.lists(st.binary(max_size=40), min_size=1, max_size=60))
def test_reader_survives_any_card(answers: list[bytes]) -> None:
    """Fuzz: whatever a (hostile) card answers, the reader returns a read or raises CardReadError."""
    replies = iter(answers)

    class Hostile:
        def transmit(self, apdu: bytes) -> bytes:
            return next(replies, b"\x90\x00")

    try:
        read = card_read(Hostile())
    except ChipError:
        return
    assert read.aa_nonce and len(read.aa_nonce) == 8


def test_verdict_says_when_and_whether_stale(world: World) -> None:
    read = card_read(MemoryTransport(genuine(world).applet()))
    fresh = chip_verdict(read, trust=world.trust(), root=world.root, now=NOW)
    assert fresh.ok and not fresh.stale and fresh.at == NOW
    later = NOW + timedelta(days=30)
    stale = chip_verdict(read, trust=world.trust(later), root=world.root, now=later)
    assert not stale.ok and stale.stale and stale.at == later
