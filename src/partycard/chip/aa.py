"""Active authentication (ICAO 9303-11 §6.1) with ECDSA: the signature format and its verification.

9303-11 §6.1.2 requires the plain signature format of BSI TR-03111 §5.2.1 for ECDSA, r || s, each
padded to the curve's byte length; keys and signing sit elsewhere, this module only converts and checks.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

__all__ = ["AA_NONCE_LENGTH", "aa_verify", "coordinate_size", "der_to_plain", "plain_to_der"]

#: The terminal's challenge is 8 bytes (ICAO 9303-11 §6.1: "RND.IFD", an 8-byte random number).
AA_NONCE_LENGTH = 8


def coordinate_size(curve: ec.EllipticCurve) -> int:
    """Bytes of r and of s in the plain format for ``curve`` (32 for P-256)."""
    return (curve.key_size + 7) // 8


def der_to_plain(der: bytes, size: int) -> bytes:
    """Convert a DER ``Ecdsa-Sig-Value`` to plain r || s of ``2 * size`` bytes (TR-03111 §5.2.1).

    Raises:
        ValueError: ``der`` is not a DER signature, or r or s does not fit in ``size`` bytes.
    """
    r, s = decode_dss_signature(der)
    try:
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    except OverflowError as e:
        raise ValueError("signature component longer than the curve") from e


def plain_to_der(plain: bytes) -> bytes:
    """Convert plain r || s (even length) to a DER ``Ecdsa-Sig-Value``.

    Raises:
        ValueError: ``plain`` is empty or of odd length.
    """
    if not plain or len(plain) % 2:
        raise ValueError("a plain ECDSA signature is r || s of equal, non-zero lengths")
    half = len(plain) // 2
    return encode_dss_signature(int.from_bytes(plain[:half], "big"), int.from_bytes(plain[half:], "big"))


def aa_verify(public_key: ec.EllipticCurvePublicKey, nonce: bytes, signature: bytes) -> bool:
    """Whether ``signature`` (plain r || s) is the chip's ECDSA-SHA256 signature over ``nonce``.

    The reader passes the public key from DG15 and the nonce it sent itself, fresh for this read, so a
    signature recorded from another session (another nonce) does not verify. Never raises on bad input.
    """
    if len(signature) != 2 * coordinate_size(public_key.curve):
        return False
    try:
        public_key.verify(plain_to_der(signature), nonce, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
