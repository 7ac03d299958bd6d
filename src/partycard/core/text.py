"""Accent folding for search: "Nguyễn Văn Đức" and "nguyen van duc" must find each other.

Stored in a normalised column (``Member.name_search``) so that both databases can index it; the same
function folds the query, so the two sides always agree.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold"]

_SPACES = re.compile(r"\s+")
# đ/Đ is a separate letter, not d + a combining mark, so NFD alone leaves it in place.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics (đ → d) and collapse whitespace."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()
