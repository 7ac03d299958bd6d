"""The tamper matrix: each attack on a party card — and each answer of its status list — is caught with its
own reason, in memory and over the real PC/SC stack (pcscd + vpcd), plus the verdict's other rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partycard.chip.aa import aa_verify
from partycard.chip.errors import ChipError
from partycard.chip.lds import (
    FID_COM,
    FID_DG1,
    FID_DG2,
    FID_DG13,
    FID_DG15,
    FID_SOD,
    com_build,
    com_parse,
    dg1_build,
    dg13_build,
    dg15_parse,
)
from partycard.chip.reader import CardRead, card_read
from partycard.chip.sod import SodSigner, dg_hash, sod_parse
from partycard.ecard.status import StatusList
from partycard.verify.chip import AaMemory, chip_verdict
from partycard.verify.verdict import Outcome
from tests.verify.conftest import (
    CARD,
    INDEX_REVOKED,
    INDEX_SUSPENDED,
    INDEX_VALID,
    MISSING_URI,
    NOW,
    STALE_URI,
    STATUS_URI,
    T0,
    Card,
    MemoryTransport,
    World,
    assert_vietnamese,
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


def card_revoked(w: World, **_: World) -> Card:
    """An expelled member's card, never recovered: its status list entry is 0x01 INVALID."""
    return card_of(w, issue_card(w, status=(STATUS_URI, INDEX_REVOKED)))


def card_suspended(w: World, **_: World) -> Card:
    return card_of(w, issue_card(w, status=(STATUS_URI, INDEX_SUSPENDED)))


def status_list_missing(w: World, **_: World) -> Card:
    """The card names a list this reader does not hold (a newer list, or a reader never synchronised)."""
    return card_of(w, issue_card(w, status=(MISSING_URI, INDEX_VALID)))


def status_list_stale(w: World, **_: World) -> Card:
    return card_of(w, issue_card(w, status=(STALE_URI, INDEX_VALID)))


def no_status_reference(w: World, **_: World) -> Card:
    """A card signed before cards carried a status reference."""
    return card_of(w, issue_card(w, status=None))


def unsigned_status_reference(w: World, **_: World) -> Card:
    """A card without a reference given a DG13 naming a valid entry (and EF.COM, unsigned, listing it)."""
    card = no_status_reference(w)
    files = dict(card.files)
    files[FID_DG13] = dg13_build(uri=STATUS_URI, index=INDEX_VALID)
    files[FID_COM] = com_build(tags=(0x61, 0x75, 0x6D, 0x6E, 0x6F))
    return replace(card, files=files)


def status_reference_changed(w: World, **_: World) -> Card:
    """A revoked card whose DG13 is rewritten to point at a valid entry."""
    card = card_revoked(w)
    return replace(card, files={**card.files, FID_DG13: dg13_build(uri=STATUS_URI, index=INDEX_VALID)})


def status_reference_removed(w: World, **_: World) -> Card:
    """A revoked card whose DG13 is deleted (EF.SOD still lists it)."""
    card = card_revoked(w)
    return replace(card, files={k: v for k, v in card.files.items() if k != FID_DG13})


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
    (card_revoked, Outcome.INVALID, {"card_revoked"}),
    (card_suspended, Outcome.INVALID, {"card_suspended"}),
    (status_list_missing, Outcome.CANNOT_TELL, {"status_unknown"}),
    (status_list_stale, Outcome.CANNOT_TELL, {"status_list_stale"}),
    (no_status_reference, Outcome.CANNOT_TELL, {"card_status_unknown"}),
    (unsigned_status_reference, Outcome.CANNOT_TELL, {"card_status_unknown"}),
    (status_reference_changed, Outcome.INVALID, {"dg_hash_mismatch"}),
    (status_reference_removed, Outcome.INVALID, {"dg_missing"}),
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
    held: tuple[StatusList, ...],
    request: pytest.FixtureRequest,
) -> None:
    card = build(world, impostor=impostor, other=other_root)
    read = read_over(transport, card, request)
    verdict = chip_verdict(
        read, trust=world.trust(), root=world.root, now=NOW, memory=AaMemory(), status=held
    )
    assert verdict.outcome is outcome, verdict.reasons
    assert set(verdict.codes) == codes, verdict.reasons
    assert_vietnamese(verdict.reasons)
    assert verdict.holder["card_number"] == CARD.card_number  # read, shown after the verdict


@pytest.mark.parametrize("transport", ["memory", "pcsc"])
def test_replayed_aa_answer(
    transport: str, world: World, held: tuple[StatusList, ...], request: pytest.FixtureRequest
) -> None:
    """A chip that plays back an answer recorded from an earlier session: named a replay by a reader
    that saw the answer, and refused as failing AA by one that did not."""
    card = genuine(world)
    memory = AaMemory()
    first = read_over(transport, card, request)
    assert (
        chip_verdict(first, trust=world.trust(), root=world.root, now=NOW, memory=memory, status=held).outcome
        is Outcome.VALID
    )
    assert first.aa_signature is not None
    replaying = replace(card, aa_answer=first.aa_signature)

    again = read_over(transport, replaying, request)
    assert again.aa_nonce != first.aa_nonce
    verdict = chip_verdict(again, trust=world.trust(), root=world.root, now=NOW, memory=memory, status=held)
    assert (verdict.outcome, verdict.codes) == (Outcome.INVALID, ("aa_replayed",))

    elsewhere = chip_verdict(
        again, trust=world.trust(), root=world.root, now=NOW, memory=AaMemory(), status=held
    )
    assert (elsewhere.outcome, elsewhere.codes) == (Outcome.INVALID, ("aa_failed",))


@pytest.mark.parametrize("transport", ["memory", "pcsc"])
def test_ef_com_must_state_the_lds_version_the_sod_signs(
    transport: str, world: World, held: tuple[StatusList, ...], request: pytest.FixtureRequest
) -> None:
    """9303-10 §4.6.2.3: a v1 SOD signs LDS 1.8 / Unicode 4.0.0; EF.COM, unsigned, rewritten to another
    version (or to something unreadable) is named for what it is, and nothing else changes."""
    card = genuine(world)
    assert sod_parse(card.files[FID_SOD]).lds_version == "0108"
    tags = com_parse(card.files[FID_COM]).tags
    for com in (
        com_build(tags=tags, lds_version="0107"),
        com_build(tags=tags, unicode_version="050200"),
        b"\x60\x00",
    ):
        read = read_over(transport, replace(card, files={**card.files, FID_COM: com}), request)
        verdict = chip_verdict(read, trust=world.trust(), root=world.root, now=NOW, status=held)
        assert (verdict.outcome, verdict.codes) == (Outcome.INVALID, ("lds_version_mismatch",))
        assert "0108/040000" in verdict.reasons[0].message_en
        assert_vietnamese(verdict.reasons)

    # A card signed before issue 18: a v0 SOD signs no version, so EF.COM's is not held against it.
    label, certificate = world.signers["good"]
    v0 = SodSigner(store=world.store, signer_label=label, signer_cert=certificate, lds_version_info=None)
    hashes = sod_parse(card.files[FID_SOD]).data_group_hashes
    old_sod = v0.build_hashed(hashes, certificate.not_valid_before_utc + timedelta(days=1))
    files = {**card.files, FID_SOD: old_sod, FID_COM: com_build(tags=tags, lds_version="0107")}
    read = read_over(transport, replace(card, files=files), request)
    verdict = chip_verdict(read, trust=world.trust(), root=world.root, now=NOW, status=held)
    assert sod_parse(old_sod).version == 0 and verdict.outcome is Outcome.VALID, verdict.reasons


def test_stale_trust_list_cannot_tell(world: World, held: tuple[StatusList, ...]) -> None:
    """A reader not refreshed for a month: its trust list and its status list are both out of date."""
    read = card_read(MemoryTransport(genuine(world).applet()))
    later = NOW + timedelta(days=30)
    verdict = chip_verdict(read, trust=world.trust(later), root=world.root, now=later, status=held)
    assert (verdict.outcome, verdict.codes) == (
        Outcome.CANNOT_TELL,
        ("trust_list_stale", "status_list_stale"),
    )
    assert "UTC" in verdict.reasons[0].message_vi


def test_every_problem_is_reported_at_once(world: World, held: tuple[StatusList, ...]) -> None:
    """A revoked signer's revoked card, with DG1 changed, on a cloned chip: four reasons, one read."""
    card = card_of(world, issue_card(world, "revoked", status=(STATUS_URI, INDEX_REVOKED)))
    files = dict(card.files)
    files[FID_DG1] = dg1_build(replace(CARD, card_number="09.999.999"))
    clone = issue_card(world)
    forged = Card(files=files, sign=lambda m: world.store.sign(clone.chip_key_label, m))
    read = card_read(MemoryTransport(forged.applet()))
    verdict = chip_verdict(read, trust=world.trust(), root=world.root, now=NOW, status=held)
    assert set(verdict.codes) == {"dg_hash_mismatch", "signer_revoked", "aa_failed", "card_revoked"}
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
    data: st.DataObject, world: World, held: tuple[StatusList, ...], genuine_read: tuple[Card, CardRead]
) -> None:
    """Fuzz: flip any bit of any signed file (the SOD and every data group): never "valid", never a crash."""
    _, read = genuine_read
    fid = data.draw(st.sampled_from(sorted(f for f in read.files if f != FID_COM)))
    content = read.files[fid]
    at = data.draw(st.integers(0, len(content) - 1))
    bit = data.draw(st.integers(0, 7))
    files = dict(read.files)
    files[fid] = content[:at] + bytes([content[at] ^ (1 << bit)]) + content[at + 1 :]
    verdict = chip_verdict(
        replace(read, files=files), trust=world.trust(), root=world.root, now=NOW, status=held
    )
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


def test_verdict_says_when_and_whether_stale(world: World, held: tuple[StatusList, ...]) -> None:
    read = card_read(MemoryTransport(genuine(world).applet()))
    fresh = chip_verdict(read, trust=world.trust(), root=world.root, now=NOW, status=held)
    assert fresh.ok and not fresh.stale and fresh.at == NOW
    later = NOW + timedelta(days=30)
    stale = chip_verdict(read, trust=world.trust(later), root=world.root, now=later, status=held)
    assert not stale.ok and stale.stale and stale.at == later
