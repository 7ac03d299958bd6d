"""The bytes the ES256 verifier writes itself instead of asking a library: the Sig_structure (RFC 9052
§4.4) and the DER ``Ecdsa-Sig-Value`` of r || s (RFC 3279 §2.2.3, X.690 §8.3), each compared with an
independent encoder (cbor2's; cryptography's ``encode_dss_signature`` behind ``plain_to_der``)."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partycard.ecard.cose import _es256_der, _to_be_signed
from partycard.trust.ecdsa import plain_to_der

# RFC 8949 §3: a string's length goes in the head itself below 24, then in 1, 2, 4 or 8 more bytes.
HEAD_BOUNDARIES = [0, 1, 23, 24, 25, 255, 256, 257, 65535, 65536, 65537]


@pytest.mark.parametrize("length", HEAD_BOUNDARIES)
@pytest.mark.parametrize("protected_length", [0, 15, 23, 24, 300])
def test_sig_structure_is_the_cbor_array(length: int, protected_length: int) -> None:
    payload = bytes(i % 251 for i in range(length))
    protected = b"\xa1" * protected_length
    assert _to_be_signed(protected, payload) == cbor2.dumps(["Signature1", protected, b"", payload])
    assert _to_be_signed(protected, payload, b"aad") == cbor2.dumps(
        ["Signature1", protected, b"aad", payload]
    )


EDGE_SIGNATURES = [
    bytes(64),  # r = s = 0: INTEGER 0 is one zero byte
    b"\xff" * 64,  # top bit set: a zero byte in front
    b"\x00\x80" + bytes(62),  # a leading zero, then a set top bit
    bytes(31) + b"\x01" + bytes(31) + b"\x7f",  # r = 1, s = 127
    b"\x00" * 16 + b"\x80" + b"\x01" * 15 + b"\x7f" * 32,
]


@pytest.mark.parametrize("signature", EDGE_SIGNATURES)
def test_der_signature_edges(signature: bytes) -> None:
    assert _es256_der(signature) == plain_to_der(signature)


@given(st.binary(min_size=64, max_size=64), st.integers(0, 32), st.integers(0, 32))
def test_der_signature_matches_plain_to_der(signature: bytes, r_zeros: int, s_zeros: int) -> None:
    signature = bytes(r_zeros) + signature[r_zeros:32] + bytes(s_zeros) + signature[32 + s_zeros :]
    assert _es256_der(signature) == plain_to_der(signature)
