"""The roster spreadsheet layout, shared by import and export so that an export can be imported again.

One column per field, headed in Vietnamese as offices write it (the English field name is accepted as
a header too). Dates are dd/mm/yyyy text or spreadsheet date cells. Documented in docs/import-format.md.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from partycard.core.text import control_characters, fold
from partycard.registry.choices import Gender, MemberStatus, Qualification, Religion

__all__ = ["COLUMNS", "Column", "ParseError", "header_map"]


class ParseError(ValueError):
    """A cell that cannot be read as its column's type; the message says why, in the UI language."""


def _text(value: Any) -> str:
    """A cell as text; a control character (a NUL above all: PostgreSQL cannot store one) is refused."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    found = control_characters(text)
    if found:
        raise ParseError(
            _("contains control characters (%(chars)s), which no roster field may hold")
            % {"chars": ", ".join(found)}
        )
    return text


def parse_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        # Dates repeat across a roster: each is parsed once (a refusal raises, so it is not kept).
        return _parse_date_text(value)
    return _parse_date_uncached(value)


@functools.lru_cache(maxsize=65_536)
def _parse_date_text(value: str) -> dt.date | None:
    return _parse_date_uncached(value)


def _parse_date_uncached(value: Any) -> dt.date | None:
    text = _text(value)
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ParseError(_("'%(value)s' is not a valid date (expected dd/mm/yyyy)") % {"value": text})


# Short forms offices write in rosters, beside the full labels.
_ALIASES: dict[str, str] = {
    "nam": Gender.MALE,
    "nu": Gender.FEMALE,
    "chinh thuc": MemberStatus.OFFICIAL,
    "du bi": MemberStatus.PROBATIONARY,
    "tu tran": MemberStatus.DECEASED,
    "da tu tran": MemberStatus.DECEASED,
    "xoa ten": MemberStatus.REMOVED,
    "khai tru": MemberStatus.EXPELLED,
    "dai hoc": Qualification.BACHELOR,
    "thac si": Qualification.MASTER,
    "tien si": Qualification.DOCTOR,
    "cao dang": Qualification.COLLEGE,
    "trung cap": Qualification.VOCATIONAL,
}


@functools.cache
def _spellings(enum: Any) -> dict[str, str]:
    """Every accepted spelling (folded) → value: the value itself and the label in Vietnamese and English.

    Cached: the labels are fixed at run time, and building this for every cell of a 50,000-row roster
    (two catalogue switches each) was most of an import's time.
    """
    spellings = {fold(str(m.value)): str(m.value) for m in enum}
    for language in ("vi", "en"):
        with translation.override(language):
            spellings.update({fold(str(m.label)): str(m.value) for m in enum})
    values = set(spellings.values())
    spellings.update({k: v for k, v in _ALIASES.items() if v in values})
    return spellings


@functools.lru_cache(maxsize=4096)
def _spelled(enum: Any, text: str) -> str | None:
    """The value ``text`` spells, if any (a roster repeats a handful of spellings: folded once each)."""
    return _spellings(enum).get(fold(text))


def _choice(enum: Any, value: Any) -> str:
    text = _text(value)
    if not text:
        return ""
    found = _spelled(enum, text)
    if found is None:
        allowed = ", ".join(str(m.label) for m in enum)
        raise ParseError(_("'%(value)s' is not one of: %(allowed)s") % {"value": text, "allowed": allowed})
    return found


def _digits(width: int) -> Callable[[Any], str | None]:
    """A numeric code: spreadsheets drop leading zeros from numbers, so numbers are padded back."""

    def parse(value: Any) -> str | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{int(value):0{width}d}"
        return _text(value) or None

    return parse


def _optional_text(value: Any) -> str | None:
    return _text(value) or None


@dataclass(frozen=True)
class Column:
    field: str  # Member field (or "organisation_code"/"ethnicity")
    header: str  # Vietnamese header as written in the spreadsheet
    required: bool
    parse: Callable[[Any], Any]
    width: int = 18
    aliases: tuple[str, ...] = ()  # older headers still read (files already in circulation)


COLUMNS: list[Column] = [
    Column("organisation_code", "Mã chi bộ", True, _text, 22),
    Column("full_name", "Họ và tên", True, _text, 26),
    Column("birth_name", "Họ tên khai sinh", False, _text, 26),
    Column("gender", "Giới tính", True, lambda v: _choice(Gender, v), 8),
    Column("date_of_birth", "Ngày sinh", True, parse_date, 12),
    Column("place_of_birth", "Nơi sinh", False, _text, 20),
    Column("home_town", "Quê quán", False, _text, 20),
    Column("ethnicity", "Dân tộc", False, _text, 10),
    Column("religion", "Tôn giáo", False, lambda v: _choice(Religion, v) or Religion.NONE, 10),
    Column("general_education", "Giáo dục phổ thông", False, _text, 10),
    Column("qualification", "Chuyên môn", False, lambda v: _choice(Qualification, v), 12),
    Column("occupation", "Nghề nghiệp", False, _text, 18),
    Column("citizen_id", "Số CCCD", False, _digits(12), 14),
    Column("file_number", "Số lý lịch", False, _optional_text, 11),
    # The directive's words: "thẻ đảng viên"; the header of earlier exports is still read.
    Column("old_card_number", "Số thẻ đảng viên cũ", False, _digits(8), 13, aliases=("Số thẻ đảng cũ",)),
    Column("date_admitted", "Ngày vào Đảng", True, parse_date, 12),
    Column("date_official", "Ngày chính thức", False, parse_date, 12),
    Column("status", "Trạng thái", True, lambda v: _choice(MemberStatus, v), 16),
    Column("phone", "Điện thoại", False, _digits(10), 12),
]


def header_map(headers: list[Any]) -> tuple[dict[int, Column], list[str]]:
    """Column index → Column for a header row; and every problem with the headers (unknown, missing)."""
    by_name: dict[str, Column] = {}
    for col in COLUMNS:
        by_name[fold(col.header)] = col
        by_name[col.field] = col
        for alias in col.aliases:
            by_name[fold(alias)] = col
    mapping: dict[int, Column] = {}
    problems: list[str] = []
    for i, raw in enumerate(headers):
        name = _text(raw)
        if not name:
            continue
        found = by_name.get(fold(name)) or by_name.get(name)
        if found is None:
            problems.append(_("unknown column '%(name)s'") % {"name": name})
        elif found in mapping.values():
            problems.append(_("column '%(name)s' appears twice") % {"name": found.header})
        else:
            mapping[i] = found
    for col in COLUMNS:
        if col.required and col not in mapping.values():
            problems.append(_("required column '%(name)s' is missing") % {"name": col.header})
    return mapping, problems
