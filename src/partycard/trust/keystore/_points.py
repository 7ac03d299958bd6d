"""The one check on the other party's ECDH point, shared by every store: refuse it before the key is used."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from partycard.trust.keystore import InvalidPeerKey

__all__ = ["peer_point_check"]

_P256_POINT_BYTES = 65  # 04 || X || Y, 32 bytes each (SEC 1 §2.3.3, uncompressed)


def peer_point_check(point: bytes) -> ec.EllipticCurvePublicKey:
    """The P-256 public key of the uncompressed ``point``.

    ICAO 9303-11 §6.2 (and BSI TR-03110-3 §A.4.2) make the chip validate the terminal's ephemeral key:
    a point off the curve would let a terminal learn the static private key bit by bit (the
    invalid-curve attack). ``from_encoded_point`` checks that the point is on the curve (SEC 1 §2.3.4).

    Raises:
        InvalidPeerKey: not 65 bytes starting 04, or not on P-256.
    """
    if not isinstance(point, bytes) or len(point) != _P256_POINT_BYTES or point[0] != 0x04:
        raise InvalidPeerKey("the peer's key is not an uncompressed P-256 point (04 || X || Y)")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as e:
        raise InvalidPeerKey("the peer's point is not on P-256") from e
