"""Opening the files partycard sends (sealed: signed, then encrypted to us) and the reports we signed,
each failure told apart: truncated, not for us, tampered, bad signature, untrusted signer, bad content.

``partycard.batches`` wraps the CMS layer's errors ``from e``; the CMS error it wraps says which of
these it was, so the factory's exit code (factory/errors.py) names the attack, not just "refused".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from partycard.batches import (
    BatchDecryptError,
    BatchError,
    BatchFormatError,
    BatchSignatureError,
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
from partycard.factory.workshop import Factory
from partycard.trust.errors import CmsDecryptFailed, CmsFormatError, CmsNotForRecipient, CmsSignatureInvalid

__all__ = ["content_decode", "report_open", "sealed_open"]

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
