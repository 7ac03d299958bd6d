"""The point arithmetic PACE's mapping needs, checked against ``cryptography``'s k·G on both curves."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from partycard.chip.ecarith import BRAINPOOL_P256R1, P256, Curve
from partycard.chip.errors import ChipFormatError

CURVES = [(P256, ec.SECP256R1()), (BRAINPOOL_P256R1, ec.BrainpoolP256R1())]


def _reference(k: int, curve: ec.EllipticCurve) -> bytes:
    public = ec.derive_private_key(k, curve).public_key()
    return public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


@pytest.mark.parametrize(("curve", "reference"), CURVES)
def test_generator_and_order(curve: Curve, reference):
    assert curve.contains(curve.g)
    assert curve.encode(curve.g) == _reference(1, reference)
    assert curve.encode(curve.multiply(curve.n - 1, curve.g)) == _reference(curve.n - 1, reference)
    assert curve.add(curve.multiply(curve.n - 1, curve.g), curve.g) is None  # (n-1)G + G = O
    assert curve.multiply(0, curve.g) is None and curve.multiply(5, None) is None


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 2**256), st.integers(1, 2**256), st.sampled_from(CURVES))
def test_multiply_and_add_agree_with_cryptography(a, b, pair):
    curve, reference = pair
    a, b = a % (curve.n - 1) + 1, b % (curve.n - 1) + 1
    assert curve.encode(curve.multiply(a, curve.g)) == _reference(a, reference)
    total = (a + b) % curve.n
    summed = curve.add(curve.multiply(a, curve.g), curve.multiply(b, curve.g))
    assert summed is None if total == 0 else curve.encode(summed) == _reference(total, reference)
    # k·(m·G) = (k·m)·G: multiplication of a point that is not the generator
    product = a * b % curve.n
    assert curve.encode(curve.multiply(a, curve.multiply(b, curve.g))) == _reference(product, reference)


@pytest.mark.parametrize(("curve", "_"), CURVES)
def test_decode_refuses_what_is_not_a_curve_point(curve: Curve, _):
    good = curve.encode(curve.g)
    for bad in (good[:-1], b"\x02" + good[1:33], good[:-1] + bytes([good[-1] ^ 1]), b"\x04" + bytes(64)):
        with pytest.raises(ChipFormatError):
            curve.decode(bad)
    assert curve.decode(good) == curve.g
