"""Verifying status list tokens against the trust list (every signer check, as for a credential), the
verifier's cache of lists, what a list says of one card, and the shared vectors (tests/vectors/status/)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st

from partycard.ecard import errors
from partycard.ecard.errors import (
    ECardError,
    StatusListError,
    StatusListNotYetValid,
    StatusListRollback,
    StatusListSignatureInvalid,
    StatusListSignerUnknown,
    StatusListWrongSubject,
)
from partycard.ecard.status import (
    STATUS_INVALID,
    STATUS_SUSPENDED,
    STATUS_VALID,
    StatusList,
    status_list_pack,
    status_list_set,
)
from partycard.trust.keystore.file import FileKeyStore
from partycard.trust.trustlist import trustlist_verify
from partycard.verify import status as verify_status
from partycard.verify.status import (
    StatusListCache,
    StatusListSignerUntrusted,
    status_list_verify_cwt,
    status_list_verify_jwt,
    status_reasons,
)
from partycard.verify.verdict import Outcome, verdict_of
from tests.vectors.make_status_vectors import (
    ENTRIES,
    ISSUED_AT,
    NOW,
    STATUS_URI,
    TTL,
    StatusWorld,
    build_status_world,
    entries,
    sign_cwt,
    sign_jwt,
)

VECTORS = Path(__file__).parents[1] / "vectors" / "status"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> StatusWorld:
    return build_status_world(FileKeyStore(tmp_path_factory.mktemp("keys"), b"test passphrase"), "st")


def _verify_both(world: StatusWorld, signer: str = "good", now: datetime = NOW, **kw: object) -> list[object]:
    """Verify the JWT and the CWT signed by ``signer``; each result is the list or the exception."""
    results: list[object] = []
    for verify, token in (
        (status_list_verify_jwt, sign_jwt(world, signer)),
        (status_list_verify_cwt, sign_cwt(world, signer)),
    ):
        try:
            results.append(verify(token, trust=world.trust(), root=world.root, now=now, **kw))  # type: ignore[operator]
        except StatusListError as e:
            results.append(e)
    return results


def test_round_trip_jwt_and_cwt(world: StatusWorld) -> None:
    for status_list in _verify_both(world, uri=STATUS_URI):
        assert not isinstance(status_list, Exception)
        assert [status_list.status(i) for i in range(ENTRIES)] == list(entries())  # type: ignore[attr-defined]
        assert not status_list.stale(NOW)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("signer", "code"),
    [("revoked", "signer_revoked"), ("expired", "signer_expired"), ("chip_only", "signer_usage_invalid")],
)
def test_signer_checks_refuse(world: StatusWorld, signer: str, code: str) -> None:
    for error in _verify_both(world, signer):
        assert isinstance(error, StatusListSignerUntrusted)
        assert code in [r.code for r in error.reasons]


def test_unknown_kid_refused(world: StatusWorld) -> None:
    for error in _verify_both(world, "unlisted"):
        assert isinstance(error, StatusListSignerUnknown)


def test_tampered_tokens_refused(world: StatusWorld) -> None:
    cases = json.loads((VECTORS / "cases.json").read_text())  # the vectors' tampered tokens are the same kind
    trust, at = (
        trustlist_verify((VECTORS / "trustlist.json").read_bytes(), _root(), _at(cases["verify_at"])),
        _at(cases["verify_at"]),
    )
    tampered = {c["name"]: c for c in cases["refused"]}
    with pytest.raises(StatusListSignatureInvalid):
        status_list_verify_jwt(tampered["tampered_jwt"]["jwt"], trust=trust, root=_root(), now=at)
    with pytest.raises(StatusListSignatureInvalid):
        status_list_verify_cwt(
            bytes.fromhex(tampered["tampered_cwt"]["cwt_hex"]), trust=trust, root=_root(), now=at
        )
    # And a signature moved from one signer's token onto another's kid.
    good, other = sign_jwt(world), sign_jwt(world, "revoked")
    forged = ".".join(good.split(".")[:2] + other.split(".")[2:])
    with pytest.raises(StatusListSignatureInvalid):
        status_list_verify_jwt(forged, trust=world.trust(), root=world.root, now=NOW)


def test_wrong_subject_and_future_lists_refused(world: StatusWorld) -> None:
    for error in _verify_both(world, uri="https://the.partycard.example/status/ec/other"):
        assert isinstance(error, StatusListWrongSubject)
    for error in _verify_both(world, now=ISSUED_AT - timedelta(hours=1)):
        assert isinstance(error, StatusListNotYetValid)


def test_stale_list_is_returned_and_flagged(world: StatusWorld) -> None:
    later = ISSUED_AT + TTL + timedelta(seconds=1)
    for status_list in _verify_both(world, now=later):
        assert not isinstance(status_list, Exception)
        assert status_list.stale(later)  # type: ignore[attr-defined]


def test_revoking_one_card_flips_only_its_entry(world: StatusWorld) -> None:
    packed = status_list_pack(entries(), 2)
    status_list_set(packed, 20, STATUS_INVALID, 2)
    token = sign_jwt(world, packed=bytes(packed), issued_at=ISSUED_AT + timedelta(minutes=5))
    after = status_list_verify_jwt(token, trust=world.trust(), root=world.root, now=NOW)
    expected = list(entries())
    expected[20] = STATUS_INVALID
    assert [after.status(i) for i in range(ENTRIES)] == expected


# --- the cache and the reasons -----------------------------------------------------------------------


def test_cache_holds_the_latest_list_and_refuses_rollback(world: StatusWorld) -> None:
    cache = StatusListCache()
    assert cache.get(STATUS_URI, NOW) is None
    first = cache.update_cwt(sign_cwt(world), trust=world.trust(), root=world.root, now=NOW)
    assert cache.get(STATUS_URI, NOW) == (first, False)
    packed = status_list_pack(entries(), 2)
    status_list_set(packed, 0, STATUS_SUSPENDED, 2)
    newer = sign_jwt(world, packed=bytes(packed), issued_at=ISSUED_AT + timedelta(hours=1))
    cache.update_jwt(newer, trust=world.trust(), root=world.root, now=NOW + timedelta(minutes=1))
    assert [r.code for r in cache.reasons(STATUS_URI, 0, NOW + timedelta(minutes=1))] == ["suspended"]
    with pytest.raises(StatusListRollback):  # the older list, replayed: index 0 valid again
        cache.update_jwt(
            sign_jwt(world), trust=world.trust(), root=world.root, now=NOW + timedelta(minutes=2)
        )
    assert [r.code for r in cache.reasons(STATUS_URI, 0, NOW + timedelta(minutes=2))] == ["suspended"]
    assert len(cache) == 1


def test_cache_says_stale_past_ttl_and_past_max_age(world: StatusWorld) -> None:
    cache = StatusListCache(max_age=timedelta(days=1))
    cache.update_jwt(sign_jwt(world), trust=world.trust(), root=world.root, now=NOW)
    held = cache.get(STATUS_URI, ISSUED_AT + TTL + timedelta(seconds=1))
    assert held is not None and held[1]
    bare = StatusList(uri="u", bits=1, statuses=b"\x00", issued_at=ISSUED_AT)  # neither exp nor ttl
    cache.put(bare, fetched_at=NOW)
    assert cache.get("u", NOW + timedelta(days=1)) == (bare, False)
    assert cache.get("u", NOW + timedelta(days=1, seconds=1)) == (bare, True)


def test_status_reasons_give_the_verdict(world: StatusWorld) -> None:
    cache = StatusListCache()
    cache.update_jwt(sign_jwt(world), trust=world.trust(), root=world.root, now=NOW)

    def outcome(index: int, now: datetime = NOW, uri: str = STATUS_URI) -> tuple[Outcome, list[str]]:
        reasons = cache.reasons(uri, index, now)
        return verdict_of(reasons).outcome, [r.code for r in reasons]

    assert outcome(0) == (Outcome.VALID, [])
    assert outcome(3) == (Outcome.INVALID, ["revoked"])
    assert outcome(5) == (Outcome.INVALID, ["suspended"])
    assert outcome(ENTRIES) == (Outcome.CANNOT_TELL, ["status_unknown"])  # a card newer than the list
    assert outcome(0, uri="https://elsewhere") == (Outcome.CANNOT_TELL, ["status_unknown"])
    stale = ISSUED_AT + TTL + timedelta(minutes=1)
    assert outcome(0, stale) == (Outcome.CANNOT_TELL, ["status_list_stale"])
    assert outcome(3, stale) == (Outcome.INVALID, ["status_list_stale", "revoked"])
    held = cache.get(STATUS_URI, NOW)
    assert held is not None
    unknown = status_list_pack(bytes([3]), 2)
    odd = replace(held[0], statuses=bytes(unknown))
    assert [r.code for r in status_reasons(odd, index=0, now=NOW)] == ["status_unknown"]
    assert all(r.message_vi for r in status_reasons(None, index=0, now=NOW))


# --- the shared vectors --------------------------------------------------------------------------------


def _root() -> x509.Certificate:
    return x509.load_pem_x509_certificate((VECTORS / "root.pem").read_bytes())


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_shared_vectors() -> None:
    cases = json.loads((VECTORS / "cases.json").read_text())
    root, at = _root(), _at(cases["verify_at"])
    trust = trustlist_verify((VECTORS / "trustlist.json").read_bytes(), root, at)
    jwt = status_list_verify_jwt(
        (VECTORS / "status_list.jwt").read_text().strip(), trust=trust, root=root, now=at, uri=cases["uri"]
    )
    cwt = status_list_verify_cwt((VECTORS / "status_list.cwt").read_bytes(), trust=trust, root=root, now=at)
    for status_list in (jwt, cwt):
        assert status_list.bits == cases["bits"]
        assert {str(i): status_list.status(i) for i in range(len(cases["statuses"]))} == cases["statuses"]
        assert not status_list.stale(at)
        assert status_list.stale(_at(cases["stale_at"]))
    assert {v for v in cases["statuses"].values()} == {STATUS_VALID, STATUS_INVALID, STATUS_SUSPENDED}
    for case in cases["refused"]:
        error = getattr(errors, case["error"], None) or getattr(verify_status, case["error"])
        with pytest.raises(error):
            if "jwt" in case:
                status_list_verify_jwt(case["jwt"], trust=trust, root=root, now=at)
            else:
                status_list_verify_cwt(bytes.fromhex(case["cwt_hex"]), trust=trust, root=root, now=at)


# --- fuzz: the verifiers raise only ECardError ----------------------------------------------------------


@given(st.data())
@settings(max_examples=100, deadline=None)
def test_verifiers_raise_only_ecard_errors(world: StatusWorld, data: st.DataObject) -> None:
    trust = world.trust()
    token = bytearray(_TOKENS.setdefault("cwt", sign_cwt(world)))
    for _ in range(data.draw(st.integers(1, 3))):
        token[data.draw(st.integers(0, len(token) - 1))] = data.draw(st.integers(0, 255))
    with contextlib.suppress(ECardError):
        status_list_verify_cwt(bytes(token), trust=trust, root=world.root, now=NOW)
    text = data.draw(st.text(max_size=200))
    with contextlib.suppress(ECardError):
        status_list_verify_jwt(text, trust=trust, root=world.root, now=NOW)


_TOKENS: dict[str, bytes] = {}
