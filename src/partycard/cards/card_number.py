"""The national party card number: nine serial digits and a Damm check digit (DOMAIN.md: not public;
unique nationally, never reused, with a check digit).

Format: ``SSSSSSSSSC`` — ten ASCII digits. ``S`` is the serial, allocated once from a national sequence
(``services.card_numbers_allocate``), zero-padded to nine digits (a billion numbers; the country needs
~5.6 million per exchange). ``C`` is the Damm check digit over the nine serial digits. Shown to people in
groups as ``SSS SSS SSS C``; spaces and hyphens are accepted when typed.

Why Damm: one check digit that detects **every** single-digit error and **every** adjacent transposition
(Luhn misses 09↔90; ISO 7064 MOD 11-2 needs an "X"), computed with one 10×10 table, no weights.

Pure Python: no Django, so readers, the e-card and the verifiers can share it.
"""

from __future__ import annotations

__all__ = ["LENGTH", "SERIAL_DIGITS", "check_digit", "format_number", "from_serial", "normalise", "problem"]

SERIAL_DIGITS = 9
LENGTH = SERIAL_DIGITS + 1

# Damm's totally anti-symmetric quasigroup of order 10 (H. M. Damm, 2004).
_TABLE = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def _interim(digits: str) -> int:
    state = 0
    for ch in digits:
        state = _TABLE[state][ord(ch) - 48]
    return state


def check_digit(serial_digits: str) -> str:
    """The Damm check digit of a string of ASCII digits."""
    if not serial_digits.isascii() or not serial_digits.isdigit():
        raise ValueError("the serial must be ASCII digits")
    return str(_interim(serial_digits))


def from_serial(serial: int) -> str:
    """The ten-digit card number of ``serial`` (1 … 999,999,999)."""
    if not 0 < serial < 10**SERIAL_DIGITS:
        raise ValueError(f"serial out of range: {serial}")
    digits = f"{serial:0{SERIAL_DIGITS}d}"
    return digits + check_digit(digits)


def normalise(text: str) -> str:
    """The number as typed, without the spaces and hyphens people put in it."""
    return "".join(ch for ch in text.strip() if ch not in " -")


def problem(text: str) -> str | None:
    """Why ``text`` is not a card number (English; the apps translate), or None if it is one."""
    number = normalise(text)
    if not number.isascii() or not number.isdigit():
        return "must contain digits only"
    if len(number) != LENGTH:
        return f"must have {LENGTH} digits (it has {len(number)})"
    if number[:SERIAL_DIGITS] == "0" * SERIAL_DIGITS:
        return "serial 000000000 is never issued"
    if _interim(number) != 0:  # Damm: a valid number, check digit included, folds to 0
        return "the check digit does not match: a digit is mistyped or two are swapped"
    return None


def format_number(number: str) -> str:
    """``SSS SSS SSS C`` for people to read."""
    n = normalise(number)
    return f"{n[0:3]} {n[3:6]} {n[6:9]} {n[9:]}"
