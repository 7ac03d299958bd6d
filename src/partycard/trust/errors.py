"""Errors of the signing PKI: one root, :class:`TrustError`, and flat subclasses named after what failed.

Callers catch ``TrustError``; a verifier shows the subclass's name as the reason (STYLE rule 9).
"""

from __future__ import annotations

__all__ = [
    "CertificateExpired",
    "CertificateNotIssuedByRoot",
    "CertificateNotYetValid",
    "CertificateRevoked",
    "CertificateUsageInvalid",
    "CrlInvalid",
    "PkiParameterError",
    "PkiStateMalformed",
    "StoreKeyMismatch",
    "TrustError",
    "TrustListBadSignature",
    "TrustListMalformed",
]


class TrustError(Exception):
    """Root of every error raised by ``partycard.trust``."""


class PkiParameterError(TrustError, ValueError):
    """An issuance was asked for with parameters that break the profile (e.g. key usage ≥ validity)."""


class PkiStateMalformed(TrustError):
    """A saved :class:`PkiState` document cannot be read back."""


class StoreKeyMismatch(TrustError):
    """The key store's key under the given label is not the key of the certificate it should match."""


class TrustListMalformed(TrustError):
    """The trust list is not a well-formed document (JSON, base64, DER, field types)."""


class TrustListBadSignature(TrustError):
    """The trust list's signature does not verify over its payload with its signer's key."""


class CertificateNotIssuedByRoot(TrustError):
    """A certificate was not signed by the trusted root (signature, issuer name or AKI do not match)."""


class CertificateUsageInvalid(TrustError):
    """A certificate is not allowed to do what it was used for (key usage, extended key usage, CA flag)."""


class CertificateNotYetValid(TrustError):
    """A certificate is used before its notBefore."""


class CertificateExpired(TrustError):
    """A certificate is used after its notAfter."""


class CertificateRevoked(TrustError):
    """A certificate is listed on the root's CRL."""


class CrlInvalid(TrustError):
    """The CRL is not signed by the trusted root or is otherwise unusable."""
