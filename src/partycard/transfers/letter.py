"""The introduction letter's digital signature: a CMS SignedData (RFC 5652) by the authority's current
document signer over a small manifest that names the letter and the SHA-256 of its PDF bytes.

The PDF itself is not embedded (the signature stays a few hundred bytes beside it, "detached" in effect):
anyone holding the PDF, the signature and the root certificate checks it, here (:func:`letter_verify`, the
verification page and ``partycard transfer_letter_verify``) or with OpenSSL (``openssl cms -verify -inform
DER -in letter.p7s -CAfile root.pem`` prints the manifest; its ``sha256`` must be ``sha256sum letter.pdf``).
A changed byte of the PDF changes its digest and the check fails. Signing goes through the key store
(``core.signing``), like the chip's SOD and the e-card: the key never leaves it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from partycard.core.signing import DocumentSigner, document_signer_current, pki_directory, pki_keystore_open
from partycard.trust.cms import cms_sign, cms_verify
from partycard.trust.errors import CmsError, CmsFormatError, CmsSignatureInvalid
from partycard.trust.keystore import KeyStore

__all__ = [
    "MANIFEST_TYPE",
    "LetterCheck",
    "SignedLetter",
    "letter_sign",
    "letter_signer",
    "letter_verify",
    "root_certificate",
    "signer_name",
]

MANIFEST_TYPE = "partycard/transfer-letter/1"


@dataclass(frozen=True)
class SignedLetter:
    signature: bytes  # DER ContentInfo/SignedData
    sha256: str  # hex, of the PDF
    signer: str  # the document signer's subject (RFC 4514), as the letter prints it


@dataclass(frozen=True)
class LetterCheck:
    """The outcome of checking a letter: ``ok``, or the ``reason`` code it failed on (``malformed``,
    ``signature_invalid``, ``signer_untrusted``, ``digest_mismatch``); the number and signer when read."""

    ok: bool
    reason: str = ""
    number: str = ""
    signer: str = ""
    signed_at: datetime | None = None


def signer_name(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()


def letter_signer(at: datetime) -> DocumentSigner:
    """The document signer that signs letters at ``at`` (its name goes on the letter before it is signed).

    Raises:
        SigningUnavailable: no authority, or no usable document signer (core.signing).
    """
    return document_signer_current(directory=pki_directory(), at=at)


def letter_sign(
    pdf: bytes,
    *,
    number: str,
    at: datetime,
    signer: DocumentSigner | None = None,
    store: KeyStore | None = None,
) -> SignedLetter:
    """Sign the letter ``pdf`` numbered ``number`` with ``signer`` (default: the one that may sign at ``at``).

    Raises:
        SigningUnavailable: no key store, no authority, or no usable document signer (core.signing).
    """
    signer = signer or letter_signer(at)
    store = store or pki_keystore_open(pki_directory())
    digest = hashlib.sha256(pdf).hexdigest()
    manifest = json.dumps(
        {"type": MANIFEST_TYPE, "number": number, "sha256": digest}, sort_keys=True, separators=(",", ":")
    ).encode()
    signature = cms_sign(
        store=store, signer_label=signer.label, signer_cert=signer.certificate, content=manifest, signed_at=at
    )
    return SignedLetter(signature=signature, sha256=digest, signer=signer_name(signer.certificate))


def root_certificate() -> x509.Certificate | None:
    """The authority's root certificate (``PARTYCARD_PKI_DIR/root.pem``), or None where there is none."""
    try:
        return x509.load_pem_x509_certificate((pki_directory() / "root.pem").read_bytes())
    except (OSError, ValueError):
        return None


def letter_verify(pdf: bytes, signature: bytes, *, root: x509.Certificate, at: datetime) -> LetterCheck:
    """Whether ``signature`` is the authority's signature of ``pdf``: the CMS verifies with a document
    signer issued by ``root`` and valid at ``at`` (the letter's signing time), its manifest is a letter's,
    and the manifest's digest is the PDF's. Never raises."""
    try:
        signed = cms_verify(signature, at=at, roots=[root])
    except CmsFormatError:
        return LetterCheck(False, "malformed")
    except CmsSignatureInvalid:
        return LetterCheck(False, "signature_invalid")
    except CmsError:
        return LetterCheck(False, "signer_untrusted")
    except ValueError:
        return LetterCheck(False, "malformed")
    try:
        manifest = json.loads(signed.content)
        number, digest = str(manifest["number"]), str(manifest["sha256"])
        if manifest.get("type") != MANIFEST_TYPE:
            raise ValueError(manifest.get("type"))
    except (ValueError, KeyError, TypeError):
        return LetterCheck(False, "malformed")
    who = signer_name(signed.signer)
    if not hmac.compare_digest(digest, hashlib.sha256(pdf).hexdigest()):
        return LetterCheck(False, "digest_mismatch", number, who, signed.signed_at)
    return LetterCheck(True, "", number, who, signed.signed_at)
