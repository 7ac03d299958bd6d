"""COSE_Sign1 (ES256) and COSE_Key: round trips through a key store, strict parsing, and fuzzing."""

from __future__ import annotations

import contextlib

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from partycard.ecard.cose import (
    ALG_ES256,
    cbor_loads,
    cose_key_decode,
    cose_key_encode,
    sign1_create,
    sign1_parse,
    sign1_verify,
)
from partycard.ecard.errors import CoseError, ECardError
from tests.ecard.world import QrWorld

KID = bytes(range(8))


@pytest.fixture(scope="module")
def signed(ecard_world: QrWorld) -> bytes:
    label = ecard_world.signers["good"][0]
    return sign1_create(b"payload", sign=lambda d: ecard_world.store.sign(label, d), kid=KID)


def _key(world: QrWorld) -> ec.EllipticCurvePublicKey:
    return world.store.public_key(world.signers["good"][0])


def test_round_trip(signed: bytes, ecard_world: QrWorld) -> None:
    message = sign1_parse(signed)
    assert message.payload == b"payload"
    assert message.kid == KID
    assert message.protected == {1: ALG_ES256, 4: KID}
    assert len(message.signature) == 64
    assert sign1_verify(message, _key(ecard_world))
    assert not sign1_verify(
        message, ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _other_point())
    )


def _other_point() -> bytes:
    from cryptography.hazmat.primitives import serialization

    return (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


def test_untagged_is_accepted(signed: bytes, ecard_world: QrWorld) -> None:
    untagged = cbor2.dumps(list(cbor2.loads(signed).value))
    assert sign1_verify(sign1_parse(untagged), _key(ecard_world))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff",
        cbor2.dumps(cbor2.CBORTag(17, [b"", {}, b"", b""])),  # COSE_Mac0's tag
        cbor2.dumps([b"", {}, b""]),
        cbor2.dumps([cbor2.dumps({1: -35}), {}, b"x", bytes(96)]),  # ES384
        cbor2.dumps([cbor2.dumps({1: -7}), {}, None, bytes(64)]),  # detached payload
        cbor2.dumps([cbor2.dumps([1]), {}, b"x", bytes(64)]),  # protected header not a map
        cbor2.dumps([cbor2.dumps({1: -7}) + b"\x00", {}, b"x", bytes(64)]),  # trailing byte in the header
        cbor2.dumps([cbor2.dumps({1: -7}), {}, b"x", bytes(64)]) + b"\x00",  # trailing byte after it
    ],
)
def test_refused(data: bytes) -> None:
    with pytest.raises(CoseError):
        sign1_parse(data)


def test_cbor_loads_strict() -> None:
    assert cbor_loads(b"\x01") == 1
    with pytest.raises(CoseError):
        cbor_loads(b"\x01\x02")
    with pytest.raises(CoseError):
        cbor_loads(b"\x81" * 10_000)  # nesting beyond cbor2's limit


def test_cose_key_round_trip(ecard_world: QrWorld) -> None:
    key = _key(ecard_world)
    encoded = cose_key_encode(key)
    assert encoded[1] == 2 and encoded[-1] == 1
    assert cose_key_decode(encoded).public_numbers() == key.public_numbers()
    with pytest.raises(CoseError):
        cose_key_encode(ec.generate_private_key(ec.SECP384R1()).public_key())


@pytest.mark.parametrize(
    "key",
    [
        None,
        {1: 1, -1: 6, -2: bytes(32)},  # OKP
        {1: 2, -1: 2, -2: bytes(48), -3: bytes(48)},  # P-384
        {1: 2, -1: 1, -2: bytes(32), -3: bytes(31)},
        {1: 2, -1: 1, -2: bytes(32), -3: bytes(32)},  # not on the curve
    ],
)
def test_cose_key_refused(key: object) -> None:
    with pytest.raises(CoseError):
        cose_key_decode(key)


@given(st.binary(max_size=400))
def test_parse_raises_only_cose_error(data: bytes) -> None:
    with contextlib.suppress(ECardError):
        sign1_parse(data)


@given(
    st.recursive(
        st.none() | st.integers() | st.binary(max_size=70) | st.text(max_size=5),
        lambda c: (
            st.lists(c, max_size=5) | st.dictionaries(st.integers() | st.text(max_size=3), c, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_parse_of_any_cbor_raises_only_cose_error(item: object) -> None:
    for data in (cbor2.dumps(item), cbor2.dumps(cbor2.CBORTag(18, item))):
        with contextlib.suppress(ECardError):
            sign1_parse(data)


@given(st.integers(min_value=0))
def test_no_bit_flip_verifies(signed: bytes, ecard_world: QrWorld, bit: int) -> None:
    bit %= len(signed) * 8
    flipped = bytearray(signed)
    flipped[bit // 8] ^= 1 << (bit % 8)
    try:
        message = sign1_parse(bytes(flipped))
    except ECardError:
        return
    assert not sign1_verify(message, _key(ecard_world))
