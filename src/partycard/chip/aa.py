"""Active authentication (ICAO 9303-11 §6.1) with ECDSA: the signature format and its verification.

9303-11 §6.1.2 requires the plain signature format of BSI TR-03111 §5.2.1 for ECDSA, r || s, each
padded to the curve's byte length (the conversions are ``trust.ecdsa``'s, shared with the e-card's
COSE and JWS signatures); keys and signing sit elsewhere, this module only checks.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.trust.ecdsa import coordinate_size, der_to_plain, plain_to_der

__all__ = ["AA_NONCE_LENGTH", "aa_verify", "coordinate_size", "der_to_plain", "plain_to_der"]

#: The terminal's challenge is 8 bytes (ICAO 9303-11 §6.1: "RND.IFD", an 8-byte random number).
AA_NONCE_LENGTH = 8


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
