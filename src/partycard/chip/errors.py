"""Errors of the chip library: one root, :class:`ChipError`, and flat subclasses named after what failed."""

from __future__ import annotations

__all__ = [
    "ApduFormatError",
    "ChipError",
    "ChipFormatError",
    "ChipStateMalformed",
    "PersoCommandRefused",
    "SodSignerMismatch",
]


class ChipError(Exception):
    """Root of every error raised by ``partycard.chip``."""


class ApduFormatError(ChipError, ValueError):
    """A command APDU's bytes or fields break the ISO/IEC 7816-3 §12.1 / 7816-4 §5.1 length rules."""


class ChipFormatError(ChipError, ValueError):
    """Bytes that should be a chip file or TLV object are malformed (truncated, bad length, wrong tag)."""


class SodSignerMismatch(ChipError):
    """The key store's document-signer key does not match the certificate an SOD would embed."""


class ChipStateMalformed(ChipError):
    """A saved chip state (chip/perso.py) is not one: bad CBOR, wrong format tag, a missing or bad field."""


class PersoCommandRefused(ChipError):
    """A personalisation command was refused by the chip (its name and status word are in the message)."""
