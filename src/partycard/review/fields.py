"""The member fields a cell reviews, in the roster's vocabulary (``registry.roster.COLUMNS``), and the
one canonical form each value is compared, signed and stored in.

Canonical values are text or None: a blank is None, a date is ISO ``YYYY-MM-DD``, a choice is its stored
value (``"M"``, ``"buddhism"``), the ethnic group its code (``"1"``). The three-way merge
(``registry.merge``) compares them as given, so "unchanged" means equal in this form whatever way a cell
wrote it (``"Nữ"``, ``"nu"``, ``"F"``). The workbook shows the Vietnamese label of each.

The member id, the file number and the status are shown but locked: the id and the file number are the
stable keys a returned row is matched on, and a change of standing (death, removal) has its own procedure.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from partycard.core.text import fold
from partycard.registry.choices import Gender, MemberStatus, Qualification, Religion
from partycard.registry.roster import COLUMNS, Column, ParseError

__all__ = [
    "EDITABLE",
    "FIELDS",
    "ID_HEADER",
    "LOCKED",
    "ReviewField",
    "choice_labels",
    "display",
    "ethnicities",
    "parse_cell",
    "record_values",
    "to_model",
]

ID_HEADER = "Mã đảng viên"
_BY_FIELD: dict[str, Column] = {c.field: c for c in COLUMNS}
_CHOICES: dict[str, Any] = {
    "gender": Gender,
    "religion": Religion,
    "qualification": Qualification,
    "status": MemberStatus,
}
_DATES = frozenset({"date_of_birth", "date_admitted", "date_official"})
# Member fields stored as NULL when blank (the others as "").
_NULLABLE = frozenset({"citizen_id", "file_number", "old_card_number", "date_official"})


@dataclass(frozen=True)
class ReviewField:
    name: str  # the Member field ("ethnicity": the ethnic group, by code)
    column: Column  # the roster column: its header and its parser
    locked: bool = False

    @property
    def header(self) -> str:
        return self.column.header

    @property
    def choices(self) -> Any:
        return _CHOICES.get(self.name)

    @property
    def is_date(self) -> bool:
        return self.name in _DATES


def _field(name: str, *, locked: bool = False) -> ReviewField:
    return ReviewField(name, _BY_FIELD[name], locked)


#: The columns of a review sheet after the member id, in order (the roster's order, keys first).
FIELDS: tuple[ReviewField, ...] = (
    _field("file_number", locked=True),
    _field("status", locked=True),
    *(_field(c.field) for c in COLUMNS if c.field not in ("organisation_code", "file_number", "status")),
)
LOCKED: tuple[ReviewField, ...] = tuple(f for f in FIELDS if f.locked)
EDITABLE: tuple[ReviewField, ...] = tuple(f for f in FIELDS if not f.locked)


_ETHNICITIES: list[tuple[tuple[str, str], ...]] = []


def ethnicities() -> tuple[tuple[str, str], ...]:
    """(code, name) of the 54 recognised ethnic groups, in code order (the reference table; read once per
    process, as it never changes at run time: Decision 121-TCTK/PPCĐ)."""
    from partycard.registry.models import Ethnicity

    if not _ETHNICITIES:
        found = tuple(
            (str(code), name) for code, name in Ethnicity.objects.order_by("code").values_list("code", "name")
        )
        if not found:
            return found  # an empty table (a test truncated it): not kept
        _ETHNICITIES.append(found)
    return _ETHNICITIES[0]


@functools.cache
def _ethnicity_lookup(groups: tuple[tuple[str, str], ...]) -> dict[str, str]:
    lookup = {code: code for code, _name in groups}
    lookup.update({fold(name): code for code, name in groups})
    return lookup


def _ethnicity_code(text: str) -> str:
    lookup = _ethnicity_lookup(ethnicities())
    found = lookup.get(fold(text)) or lookup.get(text.lstrip("0"))
    if found is None:
        raise ParseError(_("'%(value)s' is not one of the 54 recognised ethnic groups") % {"value": text})
    return found


def _canonical(field: ReviewField, value: Any) -> str | None:
    """A parsed or stored value in the canonical form."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def record_values(member: Any) -> dict[str, str | None]:
    """The reviewed fields of a member record, canonical."""
    values: dict[str, str | None] = {}
    for f in FIELDS:
        if f.name == "ethnicity":
            values[f.name] = str(member.ethnicity_id) if member.ethnicity_id is not None else None
        else:
            values[f.name] = _canonical(f, getattr(member, f.name))
    return values


def parse_cell(field: ReviewField, raw: Any) -> str | None:
    """A workbook cell as the canonical value of ``field``.

    Raises:
        ParseError: the cell cannot be read as the field's type (the reason, in the UI language).
    """
    value = field.column.parse(raw)
    if field.name == "ethnicity" and value:
        return _ethnicity_code(str(value))
    return _canonical(field, value)


def display(field: ReviewField, value: str | None) -> str:
    """A canonical value as a cell shows it: a date dd/mm/yyyy, a choice's Vietnamese label, a name."""
    if value is None:
        return ""
    if field.is_date:
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if field.name == "ethnicity":
        return dict(ethnicities()).get(value, value)
    if field.choices is not None:
        return _labels(field.name).get(value, value)
    return value


@functools.cache
def _labels(name: str) -> dict[str, str]:
    """A choice field's stored value → Vietnamese label (fixed at run time: cached)."""
    with translation.override("vi"):
        return {str(m.value): str(m.label) for m in _CHOICES[name]}


def choice_labels(field: ReviewField) -> list[str]:
    """The Vietnamese labels a choice field's validation list offers."""
    if field.name == "ethnicity":
        return [name for _code, name in ethnicities()]
    with translation.override("vi"):
        return [str(m.label) for m in field.choices]


def to_model(changes: Mapping[str, str | None]) -> dict[str, Any]:
    """Canonical values as ``Member`` attributes (``registry.services.member_update``'s ``changes``)."""
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "ethnicity":
            out["ethnicity_id"] = int(value) if value else 1
        elif name in _DATES:
            out[name] = dt.date.fromisoformat(value) if value else None
        elif value is None:
            out[name] = None if name in _NULLABLE else ""
        else:
            out[name] = value
    return out
