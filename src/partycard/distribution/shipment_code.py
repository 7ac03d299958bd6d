"""The code printed on a shipment's label (and in its QR): ten random Crockford Base32 symbols and a check
symbol, shown as ``XXXXX-XXXXX-C``.

Crockford's alphabet leaves out I, L, O and U, and reading accepts the look-alikes (O as 0, I and L as 1),
so a code typed from a label survives the usual misreadings; the check symbol (Luhn mod N over the
alphabet, N = 32) catches every single wrong symbol and every swap of neighbours but "0Z" ↔ "Z0" (as
Luhn's mod 10 misses 09 ↔ 90), so a typo finds no shipment instead of another one. Pure: no Django.
"""

from __future__ import annotations

import secrets

__all__ = ["ALPHABET", "code_is_valid", "code_new", "code_normalise"]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford Base32
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_BODY = 10


def _check_symbol(body: str) -> str:
    """Luhn mod N (N = 32): double every other value from the right, fold by N, sum; the check makes it 0."""
    n, total, double = len(ALPHABET), 0, True
    for symbol in reversed(body):
        value = _VALUE[symbol]
        if double:
            value *= 2
            value = value // n + value % n
        total += value
        double = not double
    return ALPHABET[(n - total % n) % n]


def code_new() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(_BODY))
    return f"{body[:5]}-{body[5:]}-{_check_symbol(body)}"


def code_normalise(text: str) -> str:
    """The code as stored (``XXXXX-XXXXX-C``) from what was typed or scanned, or "" if it cannot be one."""
    raw = "".join(ch for ch in text.upper().translate(_READS_AS) if ch.isalnum())
    if len(raw) != _BODY + 1 or any(ch not in _VALUE for ch in raw):
        return ""
    return f"{raw[:5]}-{raw[5:_BODY]}-{raw[_BODY]}"


def code_is_valid(code: str) -> bool:
    raw = code.replace("-", "")
    return len(raw) == _BODY + 1 and all(ch in _VALUE for ch in raw) and _check_symbol(raw[:-1]) == raw[-1]
