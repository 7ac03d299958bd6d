"""The synchronised fields and their one normalised form, so that "unchanged" means equal (registry.merge).

The fields are the roster's (``registry.roster.COLUMNS``): one vocabulary for the import, the review
workbook and the sync. A record, a parsed row and a baseline are all turned into the same JSON-ready form:
text without its blanks (an empty text is ``None``), choices as their stored value, dates as ISO
``YYYY-MM-DD`` text, the cell as its code, the ethnicity as its number (a row that names none is the
registry's default, as the roster import reads it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from partycard.registry.models import Member
from partycard.registry.roster import COLUMNS

__all__ = [
    "FIELDS",
    "NULLABLE",
    "QUERY_FIELDS",
    "model_changes",
    "normalise",
    "record_values",
    "records",
]

FIELDS: tuple[str, ...] = tuple(c.field for c in COLUMNS)
# Member fields that hold NULL for "not recorded"; the other texts hold "".
NULLABLE = frozenset({"citizen_id", "file_number", "old_card_number", "date_official"})
_SOURCE = {"organisation_code": "organisation__code", "ethnicity": "ethnicity_id"}
QUERY_FIELDS: tuple[str, ...] = ("id", *(_SOURCE.get(f, f) for f in FIELDS))
DEFAULT_ETHNICITY = 1  # Member.ethnicity's default, which the roster import gives a row without one


def normalise(name: str, value: Any) -> Any:
    """``value`` of field ``name`` in the normalised form."""
    if value is None:
        return DEFAULT_ETHNICITY if name == "ethnicity" else None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if name == "ethnicity":
        return int(value)
    text = str(value).strip()
    return text or None


def record_values(row: Iterable[Any]) -> dict[str, Any]:
    """A ``values_list(*QUERY_FIELDS[1:])`` row of a member as normalised values by field."""
    return {name: normalise(name, value) for name, value in zip(FIELDS, row, strict=True)}


def records(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The normalised values of the members ``ids`` (one query)."""
    out = {}
    for row in Member.objects.filter(pk__in=list(ids)).values_list(*QUERY_FIELDS):
        out[row[0]] = record_values(row[1:])
    return out


def model_changes(
    values: Mapping[str, Any], fields: Iterable[str], *, cells: Mapping[str, int]
) -> dict[str, Any]:
    """The ``member_update``-style changes that write ``values`` of ``fields`` to a member.

    ``cells`` maps a cell code to its organisation id (the rows' cells, resolved and in scope).
    """
    out: dict[str, Any] = {}
    for name in fields:
        value = values.get(name)
        if name == "organisation_code":
            out["organisation_id"] = cells[str(value)]
        elif name == "ethnicity":
            out["ethnicity_id"] = int(value) if value is not None else DEFAULT_ETHNICITY
        elif name.startswith("date_"):
            out[name] = dt.date.fromisoformat(value) if value else None
        elif value is None:
            out[name] = None if name in NULLABLE else ""
        else:
            out[name] = value
    return out


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
