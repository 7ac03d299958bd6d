"""Opening the files partycard sends (sealed: signed, then encrypted to us) and the reports we signed,
each failure told apart: truncated, not for us, tampered, bad signature, untrusted signer, bad content.

``partycard.batches`` wraps the CMS layer's errors ``from e``; the CMS error it wraps says which of
these it was, so the factory's exit code (factory/errors.py) names the attack, not just "refused".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from partycard.batches import (
    BatchDecryptError,
    BatchError,
    BatchFormatError,
    BatchSignatureError,
    sha256_hex,
    sign_report,
    unseal,
    verify_report,
)
from partycard.factory.errors import (
    FactoryError,
    FileContentInvalid,
    FileMalformed,
    FileNotForUs,
    FileSignatureInvalid,
    FileSignerUntrusted,
    FileTampered,
)
from partycard.factory.ledger import Ledger
from partycard.factory.workshop import SIGNING_LABEL, Factory, atomic_write
from partycard.trust.errors import CmsDecryptFailed, CmsFormatError, CmsNotForRecipient, CmsSignatureInvalid

__all__ = ["content_decode", "report_open", "report_write", "sealed_open"]

_T = TypeVar("_T")


def _classified(e: BatchError, name: str) -> FactoryError:
    cause = e.__cause__
    if isinstance(e, BatchDecryptError):
        if isinstance(cause, CmsNotForRecipient):
            return FileNotForUs(f"{name} is not addressed to this manufacturer: {e}")
        if isinstance(cause, CmsDecryptFailed):
            return FileTampered(f"{name} was changed after it was sealed (authentication tag): {e}")
        return FileTampered(f"{name} does not decrypt: {e}")
    if isinstance(e, BatchSignatureError):
        if isinstance(cause, CmsSignatureInvalid):
            return FileSignatureInvalid(f"{name}: the signature does not verify: {e}")
        return FileSignerUntrusted(f"{name}: the signer is not trusted: {e}")
    if isinstance(e, BatchFormatError) and (cause is None or isinstance(cause, CmsFormatError)):
        return FileMalformed(f"{name} is truncated or not a sealed partycard file: {e}")
    return FileContentInvalid(f"{name}: {e}")


def sealed_open(data: bytes, *, factory: Factory, at: datetime, name: str) -> bytes:
    """The content of a batch or SOD file: decrypted with our key, its document signer checked against
    the Party's root.

    Raises:
        TrustNotInstalled, FileMalformed, FileNotForUs, FileTampered, FileSignatureInvalid,
        FileSignerUntrusted: as their names say.
    """
    root, _, encryption_cert = factory.trusted()
    try:
        return unseal(
            data, private_key=factory.encryption_key, certificate=encryption_cert, roots=[root], at=at
        )
    except BatchError as e:
        raise _classified(e, name) from e


def report_open(data: bytes, *, factory: Factory, at: datetime, name: str) -> bytes:
    """The content of a report this factory signed (for ``show``)."""
    _, signing_cert, _ = factory.trusted()
    try:
        return verify_report(data, trusted=[signing_cert], at=at)
    except BatchError as e:
        raise _classified(e, name) from e


def content_decode(decode: Callable[[bytes], _T], content: bytes, name: str) -> _T:
    """``decode(content)``, its errors as :class:`FileContentInvalid` (the signer sent a bad file)."""
    try:
        return decode(content)
    except BatchError as e:
        raise FileContentInvalid(f"{name}: {e}") from e


def report_write(
    content: bytes,
    *,
    factory: Factory,
    ledger: Ledger,
    name: str,
    event: str,
    batch: str,
    report_id: str,
    when: str,
    at: datetime,
) -> Path:
    """Sign a report's content with our signing key, write it to ``out/<name>`` and record ``event`` in the
    ledger with the report's id and the file's SHA-256 (what partycard will check a replay against)."""
    _root, signing_cert, _encryption = factory.trusted()
    signed = sign_report(
        content, store=factory.store, signer_label=SIGNING_LABEL, signer_cert=signing_cert, at=at
    )
    path = factory.path("out", name)
    atomic_write(path, signed)
    ledger.append(event, batch, when, report_id=report_id, sha256=sha256_hex(signed))
    return path
