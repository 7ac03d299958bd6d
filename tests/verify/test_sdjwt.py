"""The SD-JWT VC verdict: the tamper matrix (each attack caught with its own reason and no other),
presentations of different disclosure sets, and fuzzing (never raises; never valid once the issuer JWT
is altered)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partycard.ecard.sdjwt import disclosure_make, sdjwt_parse
from partycard.ecard.status import StatusList
from partycard.trust.keystore.file import FileKeyStore
from partycard.verify import sdjwt as verify_sdjwt
from partycard.verify.sdjwt import sdjwt_verdict
from partycard.verify.verdict import Outcome, Verdict
from tests.vectors.make_sdjwt_vectors import (
    ALL_CLAIMS,
    AUDIENCE,
    GOOD_STANDING,
    HOLDER_ALL,
    NONCE,
    NOW,
    REVOKED_INDEX,
    STATUS_URI,
    SUSPENDED_INDEX,
    T0,
    SdJwtWorld,
    build_sdjwt_world,
    issue,
    present,
    rebind,
    status_list,
    with_payload,
    without_kb,
)
from tests.verify.conftest import assert_vietnamese


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SdJwtWorld:
    return build_sdjwt_world(FileKeyStore(tmp_path_factory.mktemp("sdjwt-keys"), b"test passphrase"), "s")


@pytest.fixture(scope="module")
def credential(world: SdJwtWorld) -> str:
    return issue(world)


def judge(world: SdJwtWorld, presentation: str, **kw: Any) -> Verdict:
    args: dict[str, Any] = dict(
        trust=world.trust(kw.get("now", NOW)),
        root=world.root,
        now=NOW,
        status=status_list(),
        audience=AUDIENCE,
        nonce=NONCE,
    )
    return sdjwt_verdict(presentation, **(args | kw))


@pytest.mark.parametrize(
    ("disclose", "shown"),
    [
        (ALL_CLAIMS, set(HOLDER_ALL)),
        (
            GOOD_STANDING,
            {"organisation.code", "organisation.name", "membership.status", "membership.good_standing"},
        ),
        (
            ("full_name", "card_number", "membership"),
            {"full_name", "card_number", "membership.status", "membership.good_standing"},
        ),
        (("date_of_birth",), {"date_of_birth"}),
        ((), set()),
    ],
)
def test_valid_presentations(
    world: SdJwtWorld, credential: str, disclose: tuple[str, ...], shown: set[str]
) -> None:
    verdict = judge(world, present(world, credential, disclose))
    assert verdict.outcome is Outcome.VALID, verdict.reasons
    assert verdict.codes == ()
    assert dict(verdict.holder) == {k: HOLDER_ALL[k] for k in shown}


def test_good_standing_without_the_date_of_birth(world: SdJwtWorld, credential: str) -> None:
    presentation = present(world, credential, GOOD_STANDING)
    verdict = judge(world, presentation)
    assert verdict.ok
    assert "date_of_birth" not in verdict.holder and "full_name" not in verdict.holder
    assert "14/07/1985" not in verdict.holder.values()
    assert verdict.holder["membership.status"] == "official"
    assert verdict.holder["membership.good_standing"] == "true"
    assert verdict.holder["organisation.code"] == "P01.02.003"
    # Nor is it anywhere in what the verifier received: no disclosure of it, not in the signed payload.
    parsed = sdjwt_parse(presentation)
    assert [d.name for d in parsed.disclosures] == ["organisation", "membership"]
    assert "1985" not in parsed.jwt.payload.decode() and "1985" not in presentation


def _forged(world: SdJwtWorld, credential: str) -> str:
    standing = without_kb(present(world, credential, GOOD_STANDING))
    return rebind(world, f"{standing}{disclosure_make('date_of_birth', '1990-01-01').text}~")


def _duplicated(world: SdJwtWorld, credential: str) -> str:
    two = without_kb(present(world, credential, ("full_name", "membership")))
    return rebind(world, f"{two}{two.split('~')[1]}~")


def _altered(world: SdJwtWorld, credential: str) -> str:
    revoked = present(world, issue(world, status_index=REVOKED_INDEX))
    changed = with_payload(revoked, {"status": {"status_list": {"idx": 7, "uri": STATUS_URI}}})
    return rebind(world, without_kb(changed))


def _renamed(world: SdJwtWorld, credential: str) -> str:
    """The name changed inside its disclosure: the digest no longer matches any the issuer signed."""
    return rebind(world, f"{credential.split('~')[0]}~{disclosure_make('full_name', 'Someone Else').text}~")


def _hash_mismatch(world: SdJwtWorld, credential: str) -> str:
    bound = present(world, credential, ("full_name", "membership"))
    jwt, _first, second, kb = bound.split("~")
    return f"{jwt}~{second}~{kb}"


Attack = Callable[[SdJwtWorld, str], tuple[str, dict[str, Any]]]
MATRIX: dict[str, tuple[Attack, str]] = {
    "forged disclosure": (lambda w, c: (_forged(w, c), {}), "disclosure_forged"),
    "disclosure with another value": (lambda w, c: (_renamed(w, c), {}), "disclosure_forged"),
    "duplicate disclosure": (lambda w, c: (_duplicated(w, c), {}), "disclosure_duplicate"),
    "KB-JWT for another nonce": (lambda w, c: (present(w, c, nonce="old"), {}), "kb_wrong_nonce"),
    "KB-JWT for another verifier": (
        lambda w, c: (present(w, c, audience="https://x.example"), {}),
        "kb_wrong_audience",
    ),
    "KB-JWT too old": (lambda w, c: (present(w, c, at=NOW - timedelta(minutes=6)), {}), "kb_stale"),
    "KB-JWT from the future": (lambda w, c: (present(w, c, at=NOW + timedelta(minutes=2)), {}), "kb_stale"),
    "no KB-JWT": (lambda w, c: (without_kb(present(w, c)), {}), "kb_missing"),
    "disclosure removed after binding": (lambda w, c: (_hash_mismatch(w, c), {}), "kb_sd_hash_mismatch"),
    "revoked": (lambda w, c: (present(w, issue(w, status_index=REVOKED_INDEX)), {}), "revoked"),
    "suspended": (lambda w, c: (present(w, issue(w, status_index=SUSPENDED_INDEX)), {}), "suspended"),
    "expired credential": (
        lambda w, c: (
            present(w, issue(w, issued_at=T0 + timedelta(days=1), expires_at=T0 + timedelta(days=2))),
            {},
        ),
        "credential_expired",
    ),
    "credential not yet valid": (
        lambda w, c: (
            present(w, issue(w, issued_at=NOW - timedelta(days=1), not_before=NOW + timedelta(hours=1))),
            {},
        ),
        "credential_not_yet_valid",
    ),
    "issued in the future": (
        lambda w, c: (present(w, issue(w, issued_at=NOW + timedelta(hours=1))), {}),
        "credential_issued_in_future",
    ),
    "expired signer": (lambda w, c: (present(w, issue(w, "expired")), {}), "signer_expired"),
    "revoked signer": (lambda w, c: (present(w, issue(w, "revoked")), {}), "signer_revoked"),
    "chip-only signer": (lambda w, c: (present(w, issue(w, "chip_only")), {}), "signer_usage_invalid"),
    "signer not on the list": (lambda w, c: (present(w, issue(w, "unlisted")), {}), "unknown_kid"),
    "stale status list": (
        lambda w, c: (
            present(w, c),
            {"status": StatusList(STATUS_URI, 2, bytes(4), T0, expires_at=T0 + timedelta(days=2))},
        ),
        "status_list_stale",
    ),
    "no status list": (lambda w, c: (present(w, c), {"status": None}), "status_unknown"),
    "another status list": (
        lambda w, c: (present(w, c), {"status": StatusList("https://other.example/1", 2, bytes(4), T0)}),
        "status_unknown",
    ),
    "payload altered": (lambda w, c: (_altered(w, c), {}), "issuer_signature_invalid"),
    "stale trust list": (lambda w, c: (present(w, c), {"now": T0 + timedelta(days=9)}), "trust_list_stale"),
}
CANNOT_TELL = {"unknown_kid", "status_list_stale", "status_unknown"}
ALL_CODES = {code for _, code in MATRIX.values()}


@pytest.mark.parametrize("name", MATRIX)
def test_tamper_matrix(world: SdJwtWorld, credential: str, name: str) -> None:
    attack, code = MATRIX[name]
    presentation, kw = attack(world, credential)
    if "now" in kw:  # a later check: the presentation is re-bound then, so only the list is late
        presentation = rebind(world, without_kb(presentation), at=kw["now"] - timedelta(seconds=5))
        kw["trust"] = world.trust(kw["now"])
        kw["status"] = status_list(expires_at=kw["now"] + timedelta(days=1))
    verdict = judge(world, presentation, **kw)
    assert code in verdict.codes, verdict.reasons
    assert set(verdict.codes) == {code}, verdict.reasons  # its own reason, and nothing else
    assert_vietnamese(verdict.reasons)
    expected = Outcome.CANNOT_TELL if code in CANNOT_TELL | {"trust_list_stale"} else Outcome.INVALID
    assert verdict.outcome is expected
    assert verdict.stale is (code in {"status_list_stale", "trust_list_stale"})


def test_forged_disclosure_is_not_shown(world: SdJwtWorld, credential: str) -> None:
    verdict = judge(world, _forged(world, credential))
    assert "date_of_birth" not in verdict.holder
    assert set(verdict.holder) == {
        "organisation.code",
        "organisation.name",
        "membership.status",
        "membership.good_standing",
    }


def test_a_revoked_card_on_a_stale_list_is_still_revoked(world: SdJwtWorld) -> None:
    stale = status_list(expires_at=T0 + timedelta(days=2))
    verdict = judge(world, present(world, issue(world, status_index=REVOKED_INDEX)), status=stale)
    assert verdict.outcome is Outcome.INVALID
    assert set(verdict.codes) == {"revoked", "status_list_stale"}


def test_every_signer_with_the_kid_is_tried(
    world: SdJwtWorld, credential: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, other = world.signers["good"][1], world.signers["revoked"][1]
    monkeypatch.setattr(verify_sdjwt, "signers_with_kid", lambda signers, kid: [other, good])
    assert judge(world, present(world, credential)).ok


def test_a_holder_key_that_is_not_the_credentials(world: SdJwtWorld, credential: str) -> None:
    other = issue(world)  # bound to the same holder: swap its cnf for a stranger's key
    changed = with_payload(other, {"cnf": {"jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}})
    verdict = judge(world, rebind(world, without_kb(changed)))
    assert {"issuer_signature_invalid", "kb_signature_invalid"} <= set(verdict.codes)


OTHER_LIST = StatusList("https://other.example/1", 2, bytes(4), T0)


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ([OTHER_LIST, status_list()], "revoked"),
        ([OTHER_LIST], "status_unknown"),
        (lambda uri: status_list() if uri == STATUS_URI else None, "revoked"),
        (lambda uri: None, "status_unknown"),
        (lambda uri: OTHER_LIST, "status_unknown"),  # a lookup that answers with the wrong list
    ],
    ids=["several", "none-of-several", "lookup", "lookup-none", "lookup-wrong"],
)
def test_status_sources(world: SdJwtWorld, source: Any, code: str) -> None:
    """One list, several, or a lookup by URI: the credential's own list is the one read."""
    verdict = judge(world, present(world, issue(world, status_index=REVOKED_INDEX)), status=source)
    assert verdict.codes == (code,)


def test_programming_errors_raise(world: SdJwtWorld, credential: str) -> None:
    with pytest.raises(ValueError):
        judge(world, credential, now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError):
        judge(world, credential, nonce="")


@pytest.mark.parametrize(
    "text",
    ["", "~", "x~", "a.b.c~", "eyJhbGciOiJub25lIn0.e30.~", "\x00" * 10, "~" * 1000, "a" * 300_000],
)
def test_garbage_is_malformed(world: SdJwtWorld, text: str) -> None:
    verdict = judge(world, text)
    assert verdict.codes == ("sdjwt_malformed",)
    assert verdict.holder == {}


@pytest.fixture(scope="module")
def genuine(world: SdJwtWorld, credential: str) -> str:
    return present(world, credential, GOOD_STANDING)


_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_altering_any_character_of_the_issuer_jwt_is_never_valid(
    world: SdJwtWorld, genuine: str, data: st.DataObject
) -> None:
    jwt = genuine.split("~")[0]
    at = data.draw(st.integers(0, len(jwt) - 1), label="at")
    char = data.draw(st.sampled_from(_B64URL + ".~=+/ é").filter(lambda c: c != jwt[at]), label="char")
    altered = jwt[:at] + char + jwt[at + 1 :]
    # The holder re-binds what it sends, so the KB-JWT is no obstacle: only the issuer's signature is.
    presentation = altered + genuine[len(jwt) :]
    if presentation.isascii():
        presentation = rebind(world, without_kb(presentation))
    verdict = judge(world, presentation)
    assert not verdict.ok


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_the_presentation_never_raises(world: SdJwtWorld, genuine: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(genuine) - 1))
    inserted = data.draw(st.text(alphabet=_B64URL + '.~{}"', max_size=8))
    cut = data.draw(st.integers(0, 4))
    mutated = genuine[:at] + inserted + genuine[at + cut :]
    verdict = judge(world, mutated)  # never raises
    # Every character is covered: the issuer's signature, a digest, the sd_hash or the holder's signature.
    assert mutated == genuine or not verdict.ok
