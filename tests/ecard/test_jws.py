"""Compact JWS ES256 and the P-256 JWK: round trips, the strict profile, and fuzzed parsing."""

from __future__ import annotations

import contextlib
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from partycard.ecard.errors import ECardError, JwsError
from partycard.ecard.jws import (
    b64url,
    b64url_decode,
    json_loads,
    jwk_of,
    jws_parse,
    jws_sign,
    jws_verify,
    public_key_of_jwk,
)

KEY = ec.generate_private_key(ec.SECP256R1())
OTHER = ec.generate_private_key(ec.SECP256R1())


def sign(data: bytes) -> bytes:
    return KEY.sign(data, ec.ECDSA(hashes.SHA256()))


def _token(header: dict[str, object], payload: bytes = b"{}", signature: bytes = bytes(64)) -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(payload)}.{b64url(signature)}"


def test_round_trip() -> None:
    token = jws_sign({"typ": "x+jwt", "kid": "abc"}, {"a": 1, "b": "ệ"}, sign=sign)
    parsed = jws_parse(token, typ="x+jwt")
    assert parsed.header == {"typ": "x+jwt", "kid": "abc", "alg": "ES256"}
    assert parsed.claims() == {"a": 1, "b": "ệ"}
    assert jws_verify(parsed, KEY.public_key())
    assert not jws_verify(parsed, OTHER.public_key())


def test_a_key_on_another_curve_never_verifies() -> None:
    parsed = jws_parse(jws_sign({}, b"x", sign=sign))
    assert not jws_verify(parsed, ec.generate_private_key(ec.SECP384R1()).public_key())


@pytest.mark.parametrize(
    "header",
    [{"alg": "none"}, {"alg": "HS256"}, {"alg": "ES384"}, {"alg": "ES256", "crit": ["b64"]}, {}],
)
def test_profile_refuses(header: dict[str, object]) -> None:
    with pytest.raises(JwsError):
        jws_parse(_token(header))


def test_typ_is_enforced_when_asked() -> None:
    token = _token({"alg": "ES256", "typ": "a"})
    jws_parse(token, typ="a")
    with pytest.raises(JwsError):
        jws_parse(token, typ="b")


@pytest.mark.parametrize(
    "raw",
    [
        b'{"alg":"ES256","alg":"none"}',  # duplicate names: two readers, two meanings
        b'{"alg":"ES256","x":NaN}',
        '{"alg":"ES256"}'.encode("utf-16"),
        b"[]",
        b"\xff",
    ],
)
def test_strict_json_header(raw: bytes) -> None:
    with pytest.raises(JwsError):
        jws_parse(f"{b64url(raw)}.{b64url(b'{}')}.{b64url(bytes(64))}")


def test_signature_must_be_64_bytes() -> None:
    with pytest.raises(JwsError):
        jws_parse(_token({"alg": "ES256"}, signature=bytes(70)))


@pytest.mark.parametrize("text", ["QQ==", "QQ", "Q", "QR", "a+/b", "ệ"])
def test_b64url_strict(text: str) -> None:
    if text == "QQ":
        assert b64url_decode(text) == b"A"
        return
    with pytest.raises(JwsError):
        b64url_decode(text)  # padding, a bad length, non-zero trailing bits, another alphabet


def test_jwk_round_trip_and_refusals() -> None:
    jwk = jwk_of(KEY.public_key())
    assert list(jwk) == ["kty", "crv", "x", "y"]
    assert public_key_of_jwk(jwk).public_numbers() == KEY.public_key().public_numbers()
    for bad in (
        {**jwk, "crv": "P-384"},
        {**jwk, "kty": "OKP"},
        {**jwk, "d": jwk["x"]},
        {**jwk, "x": jwk["y"]},  # off the curve
        {**jwk, "x": b64url(b"\x01" * 31)},
        {"kty": "EC", "crv": "P-256"},
        "not a dict",
    ):
        with pytest.raises(JwsError):
            public_key_of_jwk(bad)
    with pytest.raises(JwsError):
        jwk_of(ec.generate_private_key(ec.SECP384R1()).public_key())


def test_json_loads_depth() -> None:
    with pytest.raises(JwsError):
        json_loads(b"[" * 100_000 + b"]" * 100_000, "deep")


@given(st.text(max_size=300))
def test_fuzz_parse_raises_only_ecard_errors(text: str) -> None:
    try:
        parsed = jws_parse(text)
    except ECardError:
        return
    jws_verify(parsed, KEY.public_key())


@given(st.binary(max_size=200), st.binary(max_size=200))
def test_fuzz_parts(header: bytes, payload: bytes) -> None:
    token = f"{b64url(header)}.{b64url(payload)}.{b64url(bytes(64))}"
    with contextlib.suppress(ECardError):
        jws_parse(token).claims()
