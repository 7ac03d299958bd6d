"""ISO/IEC 7816-4 §5.6 status words (SW1-SW2) the party card's applet answers with, named.

Only the words the applet actually sends are listed, so "every response ends in a known SW" can be tested.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["StatusWord"]


class StatusWord(IntEnum):
    """SW1-SW2 as a 16-bit value; ``bytes(sw)`` is not defined, use :meth:`encode`."""

    #: 9000 — normal processing, no further qualification.
    OK = 0x9000
    #: 6282 — warning: end of file reached before reading Ne bytes (READ BINARY near EOF).
    END_OF_FILE = 0x6282
    #: 6300 — authentication failed (GENERAL AUTHENTICATE for PACE: one answer for a wrong CAN whichever
    #: step failed, so the card does not reveal which; ISO/IEC 7816-4 Table 6: 6300, no information given).
    AUTHENTICATION_FAILED = 0x6300
    #: 6700 — wrong length: malformed Lc/Le encoding, or Lc/Le not what the command needs.
    WRONG_LENGTH = 0x6700
    #: 6982 — security status not satisfied: the EF's access rule forbids the command (UPDATE BINARY on an
    #: operational card, chip/perso.py).
    SECURITY_STATUS_NOT_SATISFIED = 0x6982
    #: 6983 — authentication method blocked: PACE is suspended after too many wrong CANs (applet.py).
    AUTHENTICATION_METHOD_BLOCKED = 0x6983
    #: 6985 — conditions of use not satisfied (INTERNAL AUTHENTICATE before the application is selected;
    #: a personalisation command once the card is operational).
    CONDITIONS_NOT_SATISFIED = 0x6985
    #: 6986 — command not allowed, no current EF (READ BINARY with nothing selected).
    NO_CURRENT_EF = 0x6986
    #: 6987 — expected secure messaging data objects missing (a protected command without DO'8E').
    SM_OBJECTS_MISSING = 0x6987
    #: 6988 — incorrect secure messaging data objects (bad MAC, counter, format): the session is dropped.
    SM_OBJECTS_INCORRECT = 0x6988
    #: 6A80 — incorrect parameters in the command data field (a CREATE FILE FCP the chip cannot take).
    WRONG_DATA = 0x6A80
    #: 6A82 — file or application not found.
    FILE_NOT_FOUND = 0x6A82
    #: 6A84 — not enough memory space (in the chip, or in the EF for UPDATE BINARY).
    NOT_ENOUGH_MEMORY = 0x6A84
    #: 6A86 — incorrect parameters P1-P2 (a P1/P2 combination the command does not define or support).
    INCORRECT_P1_P2 = 0x6A86
    #: 6A88 — referenced data not found (GET DATA of a tag the chip does not hold; INTERNAL AUTHENTICATE
    #: before the chip's key was generated).
    REFERENCED_DATA_NOT_FOUND = 0x6A88
    #: 6A89 — file already exists (CREATE FILE with a file identifier in use).
    FILE_EXISTS = 0x6A89
    #: 6B00 — wrong parameters P1-P2: here, a READ BINARY offset at or beyond the end of the EF.
    WRONG_P1_P2 = 0x6B00
    #: 6D00 — instruction code not supported or invalid.
    INS_NOT_SUPPORTED = 0x6D00
    #: 6E00 — class not supported (anything but CLA 00: no secure messaging, no chaining, channel 0).
    CLA_NOT_SUPPORTED = 0x6E00
    #: 6F00 — no precise diagnosis (the signing key failed during INTERNAL AUTHENTICATE).
    NO_PRECISE_DIAGNOSIS = 0x6F00

    def encode(self) -> bytes:
        """The two bytes SW1 SW2 as sent on the wire."""
        return self.value.to_bytes(2, "big")
