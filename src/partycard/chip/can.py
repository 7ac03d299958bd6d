"""The card access number (CAN): the six digits printed on the card that open PACE (ICAO 9303-11 §4.4).

The CAN is not a secret like a PIN — it is printed on the card's face, so whoever holds the card (or
sees it) can read the chip, and nobody who has never seen it can (9303-11 §4.4: "the CAN is printed
on the document", and §9.5.2 derives the PACE password key from it). It must still be unpredictable:
a guessable CAN would let a reader skim a card in a pocket. So it is drawn from the OS CSPRNG, one
per card, when the card's chip image is made, and it is never logged.
"""

from __future__ import annotations

import secrets

__all__ = ["CAN_DIGITS", "can_check", "can_generate"]

#: 9303-11 §9.5.2 allows any length; eMRTDs print six digits (Doc 9303-4/-5 "CAN" field) and so do we.
CAN_DIGITS = 6


def can_generate() -> str:
    """A fresh CAN: ``CAN_DIGITS`` decimal digits, uniformly from the OS CSPRNG (``secrets``)."""
    return f"{secrets.randbelow(10**CAN_DIGITS):0{CAN_DIGITS}d}"


def can_check(can: str) -> str:
    """``can`` unchanged if it is exactly ``CAN_DIGITS`` ASCII digits.

    Raises:
        ValueError: anything else (the value itself is not repeated: it opens a card).
    """
    if not isinstance(can, str) or len(can) != CAN_DIGITS or not (can.isascii() and can.isdigit()):
        raise ValueError(f"a CAN is {CAN_DIGITS} decimal digits")
    return can
