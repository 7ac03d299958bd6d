"""ECDSA signature formats: DER ``Ecdsa-Sig-Value`` (what key stores return, X.509 and CMS use) and the
plain r || s of BSI TR-03111 §5.2.1 (ICAO active authentication, COSE ES256 per RFC 9053 §2.1, JWS ES256
per RFC 7518 §3.4). One conversion, for every format that needs it.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

__all__ = ["coordinate_size", "der_to_plain", "plain_to_der"]


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
