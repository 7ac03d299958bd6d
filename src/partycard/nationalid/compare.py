"""A member's record against the population database's answer: the reason codes of every difference.

The codes are partycard's ``population.models.TaskReason`` values (this library may not import them). The
issue asks for an accent- and space-insensitive name comparison *kept separate* from the exact one: a name
equal once folded (accents, case, spacing) but not exactly is ``name_accents`` — most often a record typed
without diacritics or with a double space, corrected at the cell from the value found — while a name that
differs even folded is ``name`` (another person, or a changed name: someone must look).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from partycard.nationalid.registry import Person

__all__ = [
    "DATE_OF_BIRTH",
    "DECEASED",
    "GENDER",
    "NAME",
    "NAME_ACCENTS",
    "NOT_FOUND",
    "Comparison",
    "Record",
    "compare",
    "fold_name",
]

NOT_FOUND = "not_found"
NAME_ACCENTS = "name_accents"
NAME = "name"
DATE_OF_BIRTH = "date_of_birth"
GENDER = "gender"
DECEASED = "deceased"

_SPACES = re.compile(r"\s+")
# đ/Đ is a letter of its own, not d + a combining mark: NFD leaves it in place (the same rule as
# partycard.core.text.fold, which this library may not import; the two are tested against each other).
_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def fold_name(name: str) -> str:
    """Lower-case, strip the Vietnamese diacritics (đ → d) and collapse whitespace."""
    decomposed = unicodedata.normalize("NFD", name.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


@dataclass(frozen=True)
class Record:
    """The fields of a member's record the check compares."""

    citizen_id: str
    full_name: str
    date_of_birth: dt.date
    gender: str


@dataclass(frozen=True)
class Comparison:
    """The reasons (sorted codes; empty: the record agrees) and what the database holds for each field
    that differs (``found``: only those, as JSON-ready strings)."""

    reasons: tuple[str, ...]
    found: dict[str, str]

    @property
    def agrees(self) -> bool:
        return not self.reasons


def compare(record: Record, person: Person | None) -> Comparison:
    """Every difference between ``record`` and ``person`` (``None``: the citizen ID was not found).

    The name is compared exactly (Unicode NFC on both sides, so a name typed with combining marks is not a
    false difference) and, if that fails, folded. A deceased person is reported whatever else agrees.
    """
    if person is None:
        return Comparison((NOT_FOUND,), {})
    reasons: list[str] = []
    found: dict[str, str] = {}
    if unicodedata.normalize("NFC", record.full_name) != unicodedata.normalize("NFC", person.full_name):
        same_folded = fold_name(record.full_name) == fold_name(person.full_name)
        reasons.append(NAME_ACCENTS if same_folded else NAME)
        found["full_name"] = person.full_name
    if record.date_of_birth != person.date_of_birth:
        reasons.append(DATE_OF_BIRTH)
        found["date_of_birth"] = person.date_of_birth.isoformat()
    if record.gender != person.gender:
        reasons.append(GENDER)
        found["gender"] = person.gender
    if person.deceased:
        reasons.append(DECEASED)
        found["date_of_death"] = person.date_of_death.isoformat() if person.date_of_death else ""
    return Comparison(tuple(sorted(reasons)), found)
