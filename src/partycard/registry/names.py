"""A Vietnamese full name: its words for search, and its place in a list.

Vietnamese full names are written "Family Middle… Given" ("Nguyễn Thị Minh Khai": family Nguyễn, middle
Thị Minh, given Khai), and lists of people are read by given name, then family name, then middle names.
``name_sort_key`` is that order as bytes, so that one indexed column orders a list on both databases
(a bytea/BLOB compares byte by byte on PostgreSQL and SQLite alike).

The letter order is the Vietnamese collation of CLDR (``common/collation/vi.xml``, "standard": the tailoring
ICU's ``vi`` collator applies): the 29 letters a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y
differ at the primary level (``&a<ă<â``, ``&d<đ``, ``&e<ê``, ``&o<ô<ơ``, ``&u<ư``); the five tone marks
differ at the secondary level, after the unmarked vowel, in the order huyền < hỏi < ngã < sắc < nặng
(``&̀<<̉<<̃<<́<<̣``). So letters are compared first and tones only between names with the same letters:
"Hung" < "Hùng" < "Hũng" < "Hưng", and "Đào" comes after every "D…". Each part (given, family, middle) is
compared whole, letters then tones, before the next part: all the Hùngs stand together, ordered by family
name. Case is ignored (the member's id breaks the remaining ties); f, j, w, z (names from other languages)
take their Latin places; digits come before letters; other signs (hyphen, apostrophe) are skipped.

No ICU: the key is a table lookup per letter with no build dependency; ``tests/registry/test_names.py``
checks it against the alphabet and the tone order above.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from partycard.core.text import fold

__all__ = ["name_sort_key", "name_words", "query_words"]

_ALPHABET = "0123456789aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
# Letter weights start above the three separators below.
_PRIMARY = {ch: 0x10 + i for i, ch in enumerate(_ALPHABET)}
# In NFD the letter-forming marks follow the base letter (a + U+0306 = ă); the tones are other marks.
_LETTER_MARKS = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê", ("o", "\u0302"): "ô",
                 ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}  # fmt: skip
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng

_NEXT_PART = 0x00  # between the given, family and middle parts
_TONES_FOLLOW = 0x01  # after a part's letters, before their tones: "An" < "Anh"
_WORD_GAP = 0x02  # between two words of one part, below every letter: "Thị" < "Thị Kim" < "Thịnh"

_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=4096)
def _letter(ch: str) -> tuple[int, int] | None:
    """(primary weight, tone) of one character, or None for a sign that does not count."""
    decomposed = unicodedata.normalize("NFD", ch.lower())
    base, tone = decomposed[0], 0
    for mark in decomposed[1:]:
        if mark in _TONES:
            tone = _TONES[mark]
        else:
            base = _LETTER_MARKS.get((base, mark), base)
    weight = _PRIMARY.get(base)
    return None if weight is None else (weight, tone)


@lru_cache(maxsize=65536)
def _word_key(word: str) -> tuple[bytes, bytes]:
    letters = bytearray()
    tones = bytearray()
    for ch in unicodedata.normalize("NFC", word):
        found = _letter(ch)
        if found is not None:
            letters.append(found[0])
            tones.append(found[1])
    return bytes(letters), bytes(tones)


def _part_key(words: list[str]) -> bytes:
    """A part's letters (primary), then the tone of each letter (secondary), word by word."""
    keys = [_word_key(w) for w in words]
    letters = bytes([_WORD_GAP]).join(k[0] for k in keys)
    tones = bytes([0]).join(k[1] for k in keys)  # aligned with the letters: same gaps, same lengths
    return letters + bytes([_TONES_FOLLOW]) + tones


def name_sort_key(full_name: str) -> bytes:
    """The list order of a full name: given name, family name, middle names; each letters, then tones.

    A one-word name is a given name alone.
    """
    words = full_name.split()
    if len(words) < 2:
        return _part_key(words) + bytes([_NEXT_PART]) + _part_key([]) + bytes([_NEXT_PART]) + _part_key([])
    return bytes([_NEXT_PART]).join((_part_key(words[-1:]), _part_key(words[:1]), _part_key(words[1:-1])))


def name_words(full_name: str) -> list[str]:
    """The words a name is found by: folded (accents and case dropped, đ → d), letters and digits only, in
    order, without repeats. "H'Hen Niê" gives ["h", "hen", "nie"]."""
    return list(dict.fromkeys(_WORD.findall(fold(full_name))))


def query_words(query: str) -> list[str]:
    """The words of a search, folded as names are, each kept once; a word that begins another word of the
    query is dropped, since any name the longer one matches, it matches too ("h hung" → ["hung"])."""
    words = name_words(query)
    return [w for w in words if not any(o != w and o.startswith(w) for o in words)]
