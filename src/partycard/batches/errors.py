"""Errors of the manufacturer files: one root, :class:`BatchError`, and flat subclasses named after what
failed (STYLE rule 9). Decoders raise nothing else on any bytes; CMS errors are wrapped ``from e``."""

from __future__ import annotations

__all__ = ["BatchDecryptError", "BatchError", "BatchFormatError", "BatchSignatureError", "ManifestMismatch"]


class BatchError(Exception):
    """Root of every error raised by ``partycard.batches``."""


class BatchFormatError(BatchError):
    """Not a file of the expected format: bad CBOR, wrong format tag, a missing or mistyped field, too big.

    ``field`` names the field (dotted inside a card or line) and ``line`` its 1-based index in "cards" or
    "lines" (None for a top-level field); both are in the message too.
    """

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.line = line


class ManifestMismatch(BatchError):
    """The batch's manifest does not match its cards: the count, or a card's digest (the card is named)."""


class BatchSignatureError(BatchError):
    """The signature does not verify, or the signer is not trusted for this file."""


class BatchDecryptError(BatchError):
    """The file is not addressed to this recipient, or its GCM tag does not authenticate it (tampered)."""
