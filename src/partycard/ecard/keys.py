"""Which document signer signed an e-card credential: the key identifier and the lookup by it.

``kid`` is the first 8 bytes of the SHA-256 of the DS certificate's DER, as the EU digital COVID
certificate does: short enough for a QR code, and a verifier tries *every* listed signer whose kid
matches (two certificates may share 8 bytes of hash), so a collision costs a signature check, not trust.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

__all__ = ["KID_LENGTH", "kid_of", "signers_with_kid"]

KID_LENGTH = 8


def kid_of(certificate: x509.Certificate) -> bytes:
    """The 8-byte key identifier of a document signer certificate."""
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).digest()[:KID_LENGTH]


def signers_with_kid(signers: Iterable[x509.Certificate], kid: bytes) -> list[x509.Certificate]:
    """Every certificate of ``signers`` whose kid is ``kid`` (usually one; possibly none or several)."""
    return [c for c in signers if kid_of(c) == kid]
