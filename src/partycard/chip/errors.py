"""Errors of the chip library: one root, :class:`ChipError`, and flat subclasses named after what failed."""

from __future__ import annotations

__all__ = [
    "ApduFormatError",
    "ChipAuthenticationFailed",
    "ChipError",
    "ChipFormatError",
    "ChipStateMalformed",
    "PaceError",
    "PaceRefused",
    "PersoCommandRefused",
    "SecureMessagingError",
    "SmCounterError",
    "SmFormatError",
    "SmMacError",
    "SmMissingError",
    "SmReplayError",
    "SmTruncatedError",
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


class SecureMessagingError(ChipError):
    """A secure messaging APDU failed its checks (ICAO 9303-11 §9.8). ISO/IEC 7816-4 §10.2: the session
    is over; both sides drop the keys and the terminal must run PACE again. ``code`` names the failure."""

    code = "sm_error"


class SmMacError(SecureMessagingError):
    """DO'8E' does not match the CMAC of the APDU under the expected counter nor any nearby one: the
    bytes were altered (or the keys differ, e.g. a clone after chip authentication)."""

    code = "sm_mac"


class SmCounterError(SecureMessagingError):
    """The MAC is valid under a *later* send sequence counter than expected: APDUs were skipped or the
    other side's counter ran ahead (9303-11 §9.8.2: the SSC is incremented before each APDU)."""

    code = "sm_counter"


class SmReplayError(SecureMessagingError):
    """The MAC is valid under an *earlier* send sequence counter: a recorded APDU sent again."""

    code = "sm_replay"


class SmTruncatedError(SecureMessagingError):
    """A data object's length runs past the end of the APDU: the bytes were cut short."""

    code = "sm_truncated"


class SmFormatError(SecureMessagingError):
    """The SM data objects are malformed: an unknown, repeated or misplaced tag, a bad padding, a DO'99'
    or DO'97' of the wrong length, or ciphertext that is not whole blocks."""

    code = "sm_format"


class SmMissingError(SecureMessagingError):
    """A response without the mandatory DO'99' and DO'8E' (9303-11 §9.8.6): the card answered in plain,
    which it does when it has dropped the session (6987/6988)."""

    code = "sm_missing"


class PaceError(ChipError):
    """PACE (9303-11 §4.4) could not be run: bad parameters or a protocol violation by the other side."""


class PaceRefused(PaceError):
    """The card refused PACE (wrong CAN, suspended) or its token T_IC did not verify. ``status`` is the
    card's status word, or None when the card said 9000 but its token was wrong."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ChipAuthenticationFailed(ChipError):
    """Chip authentication (9303-11 §6.2) was refused by the card, or its data objects were malformed."""
