"""The SD-JWT VC of the party card, issuer and holder side: what is signed in plain, what is disclosable,
selection with parents and children, key binding, the processing rules of RFC 9901 §7.1, fuzzed parsing."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from partycard.ecard.errors import ECardError, SdJwtError
from partycard.ecard.jws import b64url, b64url_decode, jwk_of, jws_verify
from partycard.ecard.sdjwt import (
    DEFAULT_DECOYS,
    SD_ALG,
    TYP_KB,
    TYP_SDJWT,
    VCT_PARTY_MEMBER,
    disclosure_make,
    disclosure_parse,
    member_sdjwt_issue,
    sd,
    sd_hash_of,
    sd_process,
    sdjwt_bind,
    sdjwt_issue,
    sdjwt_kid,
    sdjwt_parse,
    sdjwt_present,
    sdjwt_select,
)
from tests.vectors.make_sdjwt_vectors import ALL_CLAIMS, GOOD_STANDING, MEMBER

ISSUER = ec.generate_private_key(ec.SECP256R1())
HOLDER = ec.generate_private_key(ec.SECP256R1())
KID = bytes(range(8))
AT = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def issuer_sign(data: bytes) -> bytes:
    return ISSUER.sign(data, ec.ECDSA(hashes.SHA256()))


def holder_sign(data: bytes) -> bytes:
    return HOLDER.sign(data, ec.ECDSA(hashes.SHA256()))


def issued(**kw: Any) -> str:
    args: dict[str, Any] = dict(
        member=MEMBER,
        sign=issuer_sign,
        kid=KID,
        holder_key=HOLDER.public_key(),
        status_uri="https://s.example/1",
        status_index=7,
        issued_at=AT,
        expires_at=AT + timedelta(days=365),
    )
    return member_sdjwt_issue(**(args | kw))


CREDENTIAL = issued()


def names(text: str) -> list[str | None]:
    return [d.name for d in sdjwt_parse(text).disclosures]


def test_the_issuer_jwt_carries_no_member_data_in_plain() -> None:
    parsed = sdjwt_parse(CREDENTIAL)
    assert parsed.jwt.header == {"typ": TYP_SDJWT, "kid": b64url(KID), "alg": "ES256"}
    assert sdjwt_kid(parsed) == KID
    assert jws_verify(parsed.jwt, ISSUER.public_key())
    claims = parsed.claims()
    assert set(claims) == {"iss", "iat", "exp", "vct", "cnf", "status", "_sd", "_sd_alg"}
    assert claims["vct"] == VCT_PARTY_MEMBER and claims["_sd_alg"] == SD_ALG
    assert claims["cnf"] == {"jwk": jwk_of(HOLDER.public_key())}
    assert claims["status"] == {"status_list": {"idx": 7, "uri": "https://s.example/1"}}
    assert claims["iat"] == int(AT.timestamp())
    assert claims["_sd"] == sorted(claims["_sd"])
    assert len(claims["_sd"]) == len(ALL_CLAIMS) + DEFAULT_DECOYS
    assert "Khai" not in parsed.jwt.payload.decode() and "1985" not in parsed.jwt.payload.decode()
    assert names(CREDENTIAL) == list(ALL_CLAIMS)
    assert parsed.kb is None and parsed.presented == CREDENTIAL


def test_disclosures_are_salted_arrays() -> None:
    disclosures = sdjwt_parse(CREDENTIAL).disclosures
    assert len({d.salt for d in disclosures}) == len(disclosures)
    for d in disclosures:
        array = json.loads(b64url_decode(d.text))
        assert array == [d.salt, d.name, d.value]
        assert len(b64url_decode(d.salt)) == 16
        assert d.digest == b64url(hashlib.sha256(d.text.encode()).digest())
    by_name = {d.name: d.value for d in disclosures}
    assert by_name["organisation"] == {"code": "P01.02.003", "name": "Chi bộ Khu dân cư số 3"}
    assert by_name["membership"] == {"status": "official", "good_standing": True}
    assert by_name["date_of_birth"] == "1985-07-14"


def test_nbf_when_given_and_no_decoys() -> None:
    claims = sdjwt_parse(issued(not_before=AT + timedelta(hours=1), decoys=0)).claims()
    assert claims["nbf"] == int(AT.timestamp()) + 3600
    assert len(claims["_sd"]) == len(ALL_CLAIMS)


@pytest.mark.parametrize(
    "kw",
    [
        {"expires_at": AT},
        {"status_index": -1},
        {"kid": b"short"},
        {"holder_key": ec.generate_private_key(ec.SECP384R1()).public_key()},
    ],
)
def test_issue_refuses(kw: dict[str, Any]) -> None:
    with pytest.raises(ECardError):
        issued(**kw)


def test_reserved_claims_stay_plain() -> None:
    with pytest.raises(SdJwtError):
        sdjwt_issue(claims={"iss": "x", "exp": sd(1)}, sign=issuer_sign, kid=KID)
    with pytest.raises(SdJwtError):
        sdjwt_issue(claims={"_sd": [1]}, sign=issuer_sign, kid=KID)


def test_select_good_standing_only() -> None:
    presented = sdjwt_select(CREDENTIAL, disclose=GOOD_STANDING)
    assert names(presented) == ["organisation", "membership"]
    assert presented.endswith("~") and presented.startswith(CREDENTIAL.split("~")[0] + "~")
    processed = sd_process(sdjwt_parse(presented).claims(), sdjwt_parse(presented).disclosures)
    assert processed.ok
    assert "date_of_birth" not in processed.claims and "full_name" not in processed.claims
    assert processed.claims["membership"] == {"status": "official", "good_standing": True}


def test_select_refuses_unknown_names_and_presentations() -> None:
    with pytest.raises(SdJwtError):
        sdjwt_select(CREDENTIAL, disclose=["date_of_brith"])
    bound = sdjwt_present(
        CREDENTIAL, disclose=GOOD_STANDING, audience="a", nonce="n", issued_at=AT, sign=holder_sign
    )
    with pytest.raises(SdJwtError):
        sdjwt_select(bound, disclose=GOOD_STANDING)


def test_key_binding() -> None:
    presented = sdjwt_select(CREDENTIAL, disclose=["full_name"])
    bound = sdjwt_bind(presented, audience="aud", nonce="nonce-1", issued_at=AT, sign=holder_sign)
    parsed = sdjwt_parse(bound)
    assert parsed.presented == presented
    assert parsed.kb is not None
    assert parsed.kb.header == {"typ": TYP_KB, "alg": "ES256"}
    assert parsed.kb.claims() == {
        "iat": int(AT.timestamp()),
        "aud": "aud",
        "nonce": "nonce-1",
        "sd_hash": b64url(hashlib.sha256(presented.encode()).digest()),
    }
    assert sd_hash_of(presented) == parsed.kb.claims()["sd_hash"]
    assert jws_verify(parsed.kb, HOLDER.public_key())
    with pytest.raises(SdJwtError):
        sdjwt_bind(bound, audience="aud", nonce="n", issued_at=AT, sign=holder_sign)


# --- generic nesting: objects and arrays within disclosures (RFC 9901 §4.2.6, §7.1) ---------------------


NESTED = sdjwt_issue(
    claims={
        "iss": "x",
        "address": {"country": "VN", "street": sd("12 Hàng Bài"), "city": sd("Hà Nội")},
        "org": sd({"code": sd("P01"), "name": sd("Chi bộ 3")}),
        "roles": ["member", sd("secretary"), sd("treasurer")],
    },
    sign=issuer_sign,
    kid=KID,
    decoys=0,
)


def test_nested_selection_brings_parents_and_children() -> None:
    assert names(sdjwt_select(NESTED, disclose=["org.code"])) == ["code", "org"]
    assert sorted(map(str, names(sdjwt_select(NESTED, disclose=["org"])))) == ["code", "name", "org"]
    presented = sdjwt_select(
        NESTED, disclose=["org.code", "address.city", "roles.2"]
    )  # roles.2: the index in the whole array
    parsed = sdjwt_parse(presented)
    processed = sd_process(parsed.claims(), parsed.disclosures)
    assert processed.ok
    assert processed.claims == {
        "iss": "x",
        "address": {"country": "VN", "city": "Hà Nội"},
        "org": {"code": "P01"},
        "roles": ["member", "treasurer"],
    }


def test_a_child_without_its_parent_is_unreferenced() -> None:
    parsed = sdjwt_parse(NESTED)
    code = next(d for d in parsed.disclosures if d.name == "code")
    processed = sd_process(parsed.claims(), [code])
    assert processed.unreferenced == [code]


def _process(payload: dict[str, Any], *disclosures: Any) -> Any:
    return sd_process(payload, list(disclosures))


def test_processing_rules() -> None:
    a = disclosure_make("a", 1)
    element = disclosure_make(None, 2)
    assert _process({"_sd": [a.digest]}, a).claims == {"a": 1}
    assert _process({"_sd": [a.digest, a.digest]}, a).duplicates == [a.digest]
    assert _process({"_sd": [a.digest]}, a, a).duplicates == [a.digest]
    assert _process({"_sd": [a.digest], "x": {"_sd": [a.digest]}}, a).duplicates == [a.digest]
    assert _process({"_sd": []}, a).unreferenced == [a]
    assert _process({"_sd": [a.digest], "a": 0}, a).errors
    assert _process({"_sd": [element.digest]}, element).errors
    assert _process({"x": [{"...": a.digest}]}, a).errors
    assert _process({"x": [{"...": a.digest, "y": 1}]}, a).errors
    assert _process({"_sd": "nope"}).errors
    assert _process({"_sd": [5]}).errors
    assert _process({"x": {"_sd_alg": SD_ALG}}).errors
    exp = disclosure_make("exp", 1)
    assert _process({"_sd": [exp.digest]}, exp).errors
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(40):
        node["n"] = {}
        node = node["n"]
    assert _process(deep).errors


@pytest.mark.parametrize(
    "array", [[], ["s"], ["s", "n", 1, 2], [1, "n", 1], ["s", 1, 1], ["s", "_sd", 1], ["s", "...", 1], {}]
)
def test_disclosure_parse_refuses(array: Any) -> None:
    with pytest.raises(SdJwtError):
        disclosure_parse(b64url(json.dumps(array).encode()))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no-tilde",
        CREDENTIAL.split("~")[0],
        CREDENTIAL.replace("~", "~~", 1),
        "~",
        CREDENTIAL + "not.a.jwt",
        CREDENTIAL + CREDENTIAL.split("~")[0],  # an issuer JWT is not a KB-JWT (typ)
    ],
)
def test_parse_refuses(text: str) -> None:
    with pytest.raises(SdJwtError):
        sdjwt_parse(text)


@given(st.text(alphabet=st.sampled_from('~.abcAB01-_=eyJ{}"[]'), max_size=200))
def test_fuzz_parse_raises_only_ecard_errors(text: str) -> None:
    try:
        parsed = sdjwt_parse(text)
        sd_process(parsed.claims(), parsed.disclosures)
    except ECardError:
        pass


@given(
    st.lists(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=5),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
            max_leaves=8,
        ),
        max_size=4,
    )
)
def test_fuzz_disclosures_never_raise(values: list[Any]) -> None:
    texts = [b64url(json.dumps(v).encode()) for v in values]
    try:
        parsed = sdjwt_parse("~".join([CREDENTIAL.split("~")[0], *texts, ""]))
    except ECardError:
        return
    sd_process(parsed.claims(), parsed.disclosures)
