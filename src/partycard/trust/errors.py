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
    "CmsDecryptFailed",
    "CmsError",
    "CmsFormatError",
    "CmsNotForRecipient",
    "CmsSignatureInvalid",
    "CmsSignerUntrusted",
    "CrlInvalid",
    "PkiParameterError",
    "PkiStateMalformed",
    "StoreKeyMismatch",
    "TrustError",
    "TrustListBadSignature",
    "TrustListMalformed",
    "TrustListRollback",
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


class TrustListRollback(TrustError):
    """The trust list is older (a lower sequence number) than one this verifier already accepted: a
    replayed list, in which a since-revoked signer is still trusted, is refused."""


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


class CmsError(TrustError):
    """Root of the CMS errors (``trust.cms``): a signed or encrypted file that cannot be accepted."""


class CmsFormatError(CmsError):
    """The bytes are not a CMS structure of our profile (DER, content type, algorithms, one signer)."""


class CmsSignatureInvalid(CmsError):
    """The content's digest or the signature over the signed attributes does not verify."""


class CmsSignerUntrusted(CmsError):
    """The signature is made by a certificate that is not trusted here, not valid now, or not for signing."""


class CmsNotForRecipient(CmsError):
    """The envelope has no recipient entry for this certificate (or the key does not fit it)."""


class CmsDecryptFailed(CmsError):
    """The content key does not unwrap or the AES-GCM tag does not authenticate: the file was tampered."""
