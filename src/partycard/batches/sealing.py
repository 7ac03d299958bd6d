"""Sealing the files: partycard's (batch, SOD file) are signed by a document signer and then encrypted to
the manufacturer's encryption certificate; the manufacturer's (key report, production report) are only
signed, with its signing certificate. CMS from ``trust.cms``; its errors are wrapped ``from e``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from partycard.batches.errors import BatchDecryptError, BatchFormatError, BatchSignatureError
from partycard.batches.model import MAX_BATCH_BYTES
from partycard.trust.cms import ID_DATA, cms_decrypt, cms_encrypt, cms_sign, cms_verify
from partycard.trust.errors import (
    CmsDecryptFailed,
    CmsError,
    CmsFormatError,
    CmsNotForRecipient,
    CmsSignatureInvalid,
    CmsSignerUntrusted,
)
from partycard.trust.keystore import KeyStore
from partycard.trust.pki import document_types_of, signer_key_usable

__all__ = ["MAX_SEALED_BYTES", "seal", "sign_report", "unseal", "verify_report"]

MAX_SEALED_BYTES = MAX_BATCH_BYTES + 1024 * 1024  # the content plus CMS framing and certificates


def _wrap(e: CmsError) -> Exception:
    if isinstance(e, CmsFormatError):
        return BatchFormatError(f"not a sealed file of our profile: {e}")
    if isinstance(e, CmsNotForRecipient | CmsDecryptFailed):
        return BatchDecryptError(str(e))
    if isinstance(e, CmsSignatureInvalid | CmsSignerUntrusted):
        return BatchSignatureError(str(e))
    return BatchSignatureError(str(e))


def _document_signer_reason(certificate: x509.Certificate, at: datetime | None) -> str | None:
    """Why ``certificate`` may not sign a batch or SOD file at ``at``, or None.

    A document signer is what ``trust.pki.signer_issue`` makes: keyUsage digitalSignature and a document
    type list (9303-12 §7.1.1.3's extension under our arc); its key signs only inside its
    privateKeyUsagePeriod (RFC 3280 §4.2.1.4). A manufacturer's or a trust-list signer's certificate
    has no document type, so neither can pass as the Organisation Commission.
    """
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        signs = usage.digital_signature
        types = document_types_of(certificate)
    except (x509.ExtensionNotFound, ValueError, TypeError):
        signs, types = False, []
    if not signs or not types:
        return f"{certificate.subject.rfc4514_string()} is not a document signer"
    if at is None:
        return "the file carries no signing time"
    if not signer_key_usable(certificate, at):
        return f"the document signer's key may not sign at {at.isoformat()} (private key usage period)"
    return None


def _too_big(data: bytes) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BatchFormatError("a sealed file must be bytes")
    if len(data) > MAX_SEALED_BYTES:
        raise BatchFormatError(f"the file is {len(data)} bytes, more than {MAX_SEALED_BYTES}")


def seal(
    content: bytes,
    *,
    store: KeyStore,
    signer_label: str,
    signer_cert: x509.Certificate,
    recipient: x509.Certificate,
    at: datetime,
) -> bytes:
    """Sign ``content`` with the document signer (SignedData, signingTime ``at``), then encrypt that to
    ``recipient`` (AuthEnvelopedData, AES-256-GCM): the DER of the envelope.

    Raises:
        BatchSignatureError: ``signer_cert`` is not a document signer whose key may sign at ``at``.
        BatchDecryptError: the recipient certificate cannot receive it (not valid at ``at``, key type,
            key usage).
        BatchFormatError: ``content`` is over MAX_BATCH_BYTES.
        StoreKeyMismatch: ``signer_label`` does not hold ``signer_cert``'s key.
    """
    if len(content) > MAX_BATCH_BYTES:
        raise BatchFormatError(f"the content is {len(content)} bytes, more than {MAX_BATCH_BYTES}")
    reason = _document_signer_reason(signer_cert, at)
    if reason is not None:  # what unseal would refuse is not written
        raise BatchSignatureError(reason)
    signed = cms_sign(
        store=store, signer_label=signer_label, signer_cert=signer_cert, content=content, signed_at=at
    )
    try:
        return cms_encrypt(signed, recipient=recipient, at=at)
    except CmsError as e:
        raise _wrap(e) from e


def unseal(
    data: bytes,
    *,
    private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    roots: Sequence[x509.Certificate],
    at: datetime,
) -> bytes:
    """Decrypt a sealed file with the recipient's key, verify the signature inside and return the content.

    The signer must be issued by one of ``roots``, valid at ``at``, a document signer, and have signed
    (signingTime) inside its key's usage period.

    Raises:
        BatchFormatError: not an envelope holding a SignedData of our profile (or too big).
        BatchDecryptError: not addressed to ``certificate``, or the GCM tag fails (tampered).
        BatchSignatureError: the signature does not verify, or the signer is not a trusted document signer.
    """
    _too_big(data)
    try:
        signed = cms_decrypt(data, private_key=private_key, certificate=certificate)
        verified = cms_verify(signed, at=at, roots=roots)
    except CmsError as e:
        raise _wrap(e) from e
    if verified.content_type != ID_DATA:
        raise BatchFormatError(f"the signed content type is {verified.content_type}, not id-data")
    reason = _document_signer_reason(verified.signer, verified.signed_at)
    if reason is not None:
        raise BatchSignatureError(reason)
    return verified.content


def sign_report(
    content: bytes, *, store: KeyStore, signer_label: str, signer_cert: x509.Certificate, at: datetime
) -> bytes:
    """SignedData only (the reports carry public keys and outcomes, nothing secret): DER.

    Raises:
        BatchFormatError: ``content`` is over MAX_BATCH_BYTES.
        StoreKeyMismatch: ``signer_label`` does not hold ``signer_cert``'s key.
    """
    if len(content) > MAX_BATCH_BYTES:
        raise BatchFormatError(f"the content is {len(content)} bytes, more than {MAX_BATCH_BYTES}")
    return cms_sign(
        store=store, signer_label=signer_label, signer_cert=signer_cert, content=content, signed_at=at
    )


def verify_report(data: bytes, *, trusted: Sequence[x509.Certificate], at: datetime) -> bytes:
    """The content of a signed report whose signer is one of ``trusted`` (the same certificate), valid
    at ``at``.

    Raises:
        BatchFormatError: not a SignedData of our profile (or too big).
        BatchSignatureError: the signature does not verify or the signer is not one of ``trusted``.
    """
    _too_big(data)
    try:
        verified = cms_verify(data, at=at, trusted=trusted)
    except CmsError as e:
        raise _wrap(e) from e
    if verified.content_type != ID_DATA:
        raise BatchFormatError(f"the signed content type is {verified.content_type}, not id-data")
    return verified.content
