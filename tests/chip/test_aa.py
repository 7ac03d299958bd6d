"""Active-authentication signature format: DER ↔ plain r || s (TR-03111 §5.2.1) and aa_verify."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from partycard.chip.aa import aa_verify, coordinate_size, der_to_plain, plain_to_der


@pytest.mark.parametrize(
    ("curve", "size"), [(ec.SECP256R1(), 32), (ec.SECP384R1(), 48), (ec.SECP521R1(), 66)]
)
def test_plain_signature_round_trip_and_verify(curve, size):
    key = ec.generate_private_key(curve)
    assert coordinate_size(curve) == size
    der = key.sign(b"nonce-01", ec.ECDSA(hashes.SHA256()))
    plain = der_to_plain(der, size)
    assert len(plain) == 2 * size
    assert decode_dss_signature(plain_to_der(plain)) == decode_dss_signature(der)
    assert aa_verify(key.public_key(), b"nonce-01", plain)
    assert not aa_verify(key.public_key(), b"nonce-02", plain)


def test_small_r_and_s_are_left_padded():
    assert der_to_plain(encode_dss_signature(1, 2), 32) == bytes(31) + b"\x01" + bytes(31) + b"\x02"


def test_conversion_errors():
    with pytest.raises(ValueError):
        der_to_plain(encode_dss_signature(1 << 256, 1), 32)
    with pytest.raises(ValueError):
        der_to_plain(b"\x30\x00garbage", 32)
    for plain in (b"", b"\x01\x02\x03"):
        with pytest.raises(ValueError):
            plain_to_der(plain)


def test_aa_verify_refuses_bad_signatures_without_raising():
    key = ec.generate_private_key(ec.SECP256R1())
    plain = der_to_plain(key.sign(b"n", ec.ECDSA(hashes.SHA256())), 32)
    public = key.public_key()
    assert not aa_verify(public, b"n", plain[:-1])  # wrong length
    assert not aa_verify(public, b"n", plain + b"\x00")
    assert not aa_verify(public, b"n", bytes(64))  # r = s = 0
    assert not aa_verify(public, b"n", plain[32:] + plain[:32])  # s || r
