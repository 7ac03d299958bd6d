"""Accent folding for search: "Nguyễn Văn Đức" and "nguyen van duc" must find each other.

Stored in a normalised column (``Member.name_search``) so that both databases can index it; the same
function folds the query, so the two sides always agree.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["control_characters", "fold", "invisible_characters"]

_SPACES = re.compile(r"\s+")
# đ/Đ is a separate letter, not d + a combining mark, so NFD alone leaves it in place.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics (đ → d) and collapse whitespace."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


# Characters that change how a name looks without being part of it: the bidi embeddings, overrides and
# isolates (U+202A–202E, U+2066–2069, U+200E/F, U+061C: the "Trojan Source" trick, CVE-2021-42574), the
# zero-width space, joiners and word joiner (U+200B–200D, U+2060), the BOM (U+FEFF) and the soft hyphen:
# all of Unicode category Cf ("format"). Unicode TR #36 §2 and UTS #39 §3.1 (Default_Ignorable_Code_Point)
# name them as the means of making two different strings look the same. Category Cc (controls, NUL
# included), Zl/Zp (line and paragraph separators), the variation selectors and the invisible Hangul
# fillers (letters by category, blank on screen) are refused with them. No Vietnamese name needs any.
_INVISIBLE_EXTRA = frozenset(
    [0x115F, 0x1160, 0x3164, 0xFFA0, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
)


def invisible_characters(text: str) -> list[str]:
    """The code points of ``text`` that a name must not contain, as ``U+XXXX`` (in order, no repeats)."""
    found: list[str] = []
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs") or ord(ch) in _INVISIBLE_EXTRA:
            code = f"U+{ord(ch):04X}"
            if code not in found:
                found.append(code)
    return found


def control_characters(text: str) -> list[str]:
    """The control characters of ``text`` other than tab, line feed and carriage return, as ``U+XXXX``.

    A NUL cannot be stored in PostgreSQL text at all, and no roster field needs a control character;
    free text (a place of birth) may still wrap onto a second line.
    """
    if text.isprintable():  # no Cc is printable: the common case, without a look-up per character
        return []
    found: list[str] = []
    for ch in text:
        if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r":
            code = f"U+{ord(ch):04X}"
            if code not in found:
                found.append(code)
    return found
