"""The files of a sync: the roster's .xlsx and .csv (docs/import-format.md) and JSON lines (docs/sync.md).

Reading yields the header's column mapping and then ``(row number, cells)`` for every non-blank row, the
cells in the mapping's order, so the roster import's row checks (``registry.importing.RowChecker``) read
all three formats alike. The .xlsx and .csv readers are the import's own bounded, streamed readers
(``registry.importing.read_rows``), with the sync's bounds: a province's export is larger than a roster.

JSON lines: one member per line, a JSON object whose keys are the roster's field names (``COLUMNS``'
``field``), dates ISO ``YYYY-MM-DD``, choices as their stored value or their label, ``null`` or a missing
key for a blank. Writing: CSV cells that a spreadsheet would read as a formula are prefixed with ``'``
(which the reader takes off again), the .xlsx as the roster export writes it (no formula can live in it).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from partycard.registry.choices import Gender, MemberStatus, Qualification, Religion
from partycard.registry.importing import read_rows
from partycard.registry.models import Ethnicity
from partycard.registry.roster import COLUMNS, Column, ParseError, header_map
from partycard.registry.xlsx_stream import FORMULA_TRIGGERS, WorkbookWriter, row_encoder

__all__ = [
    "FORMATS",
    "MAX_LINE",
    "JsonLineError",
    "RowWriter",
    "file_format",
    "max_bytes",
    "max_rows",
    "open_rows",
    "row_writer",
]

FORMATS = ("xlsx", "csv", "jsonl")
MAX_LINE = 64 * 1024  # bytes in one JSON line: a member's fields take a few hundred
_CHOICES: dict[str, Any] = {
    "gender": Gender,
    "religion": Religion,
    "qualification": Qualification,
    "status": MemberStatus,
}


def max_rows() -> int:
    """Rows one sync file may hold: a province's export (``PARTYCARD["SYNC_MAX_ROWS"]``)."""
    return int(settings.PARTYCARD.get("SYNC_MAX_ROWS", 1_000_000))


def max_bytes() -> int:
    """Bytes one sync file may hold (``PARTYCARD["SYNC_MAX_BYTES"]``)."""
    return int(settings.PARTYCARD.get("SYNC_MAX_BYTES", 1024 * 1024 * 1024))


def file_format(path: Path | str) -> str:
    """The format of a file, by its name ("xlsx", "csv" or "jsonl").

    Raises:
        ParseError: another kind of file.
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "ndjson":
        suffix = "jsonl"
    if suffix not in FORMATS:
        raise ParseError(
            _("Only .xlsx, .csv and .jsonl files can be synchronised (got '%(suffix)s').")
            % {"suffix": "." + suffix}
        )
    return suffix


# (row number, cells), or (row number, the JsonLineError that makes the line no row at all)
Rows = Iterator[tuple[int, Any]]


def open_rows(
    path: Path, *, first: int = 0, last: int | None = None
) -> tuple[dict[int, Column], list[str], Rows]:
    """The column mapping, the header's problems, and the numbered non-blank rows of ``path`` among its
    data rows ``first`` (0: the first after the header) up to ``last`` (excluded; None: the end). Rows
    before ``first`` are skipped as read, without looking at their cells (a preview chunk's start).

    Raises:
        ParseError: the file cannot be read or breaks a bound (also while the rows are read).
    """
    fmt = file_format(path)
    if fmt == "jsonl":
        return _jsonl(path, first, last)
    if path.stat().st_size > max_bytes():
        from partycard.registry.importing import too_large

        raise ParseError(too_large(path.stat().st_size, limit=max_bytes()))
    raw = read_rows(path, max_rows=max_rows(), max_bytes=max_bytes())
    header = next(raw, None)
    if header is None:
        raw.close()
        return {}, [_("The file is empty.")], iter(())
    mapping, problems = header_map(header)
    unquote = fmt == "csv"

    def rows() -> Rows:
        try:
            for number, cells in islice(enumerate(raw, start=2), first, last):
                if any(v not in (None, "") for v in cells):
                    yield number, [_unquote(v) for v in cells] if unquote else cells
        finally:
            raw.close()

    return mapping, problems, rows()


def _unquote(value: Any) -> Any:
    """Take off the ``'`` that the CSV export put before a cell a spreadsheet would read as a formula."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in FORMULA_TRIGGERS:
        return value[1:]
    return value


_BY_FIELD = {c.field: i for i, c in enumerate(COLUMNS)}


def _jsonl(path: Path, first: int, last: int | None) -> tuple[dict[int, Column], list[str], Rows]:
    if path.stat().st_size > max_bytes():
        from partycard.registry.importing import too_large

        raise ParseError(too_large(path.stat().st_size, limit=max_bytes()))
    mapping = dict(enumerate(COLUMNS))

    def rows() -> Rows:
        limit = max_rows()
        count = first  # lines before ``first`` count against the bound as rows (blank or not)
        with path.open("rb") as source:
            for number, line in islice(enumerate(source, start=1), first, last):
                if len(line) > MAX_LINE:
                    raise ParseError(
                        _("Line %(line)d is longer than %(limit)d bytes.")
                        % {"line": number, "limit": MAX_LINE}
                    )
                if not line.strip():
                    continue
                count += 1
                if count > limit:
                    raise ParseError(
                        _("The file has more than %(limit)s rows; split the roster into smaller files.")
                        % {"limit": f"{limit:,}".replace(",", ".")}
                    )
                try:
                    yield number, _json_cells(number, line)
                except JsonLineError as e:  # the row's problem; the next line is read
                    yield number, e

    return mapping, [], rows()


class JsonLineError(ParseError):
    """A JSON line that is not an object of roster fields: the row's problem, not the file's."""

    def __init__(self, number: int, message: str) -> None:
        super().__init__(message)
        self.number = number


def _json_cells(number: int, line: bytes) -> list[Any]:
    try:
        item = json.loads(line.removeprefix(b"\xef\xbb\xbf") if number == 1 else line)  # a BOM, if saved so
    except (UnicodeDecodeError, ValueError) as e:
        raise JsonLineError(number, _("is not a JSON object (%(reason)s)") % {"reason": str(e)[:80]}) from e
    if not isinstance(item, dict):
        raise JsonLineError(number, _("is not a JSON object (%(reason)s)") % {"reason": type(item).__name__})
    unknown = sorted(k for k in item if k not in _BY_FIELD)
    if unknown:
        raise JsonLineError(number, _("unknown column '%(name)s'") % {"name": str(unknown[0])[:50]})
    cells: list[Any] = [None] * len(COLUMNS)
    for key, value in item.items():
        if isinstance(value, dict | list):
            raise JsonLineError(number, _("'%(name)s' must be a text, a number or null") % {"name": key})
        cells[_BY_FIELD[key]] = value
    return cells


# ---- writing -------------------------------------------------------------------------------------------


def _xlsx_value(name: str, value: Any) -> Any:
    """A normalised value as the row encoder takes it: a date, or a text ("" for a blank)."""
    if name.startswith("date_"):
        return dt.date.fromisoformat(value) if value else None
    return "" if value is None else value


def _labels() -> dict[str, dict[str, str]]:
    with translation.override("vi"):
        return {name: {str(m.value): str(m.label) for m in enum} for name, enum in _CHOICES.items()}


class RowWriter:
    """Writes normalised member values (``fields.normalise``) as rows of one format; then ``close()``."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.fmt = fmt
        self.rows = 0
        self.ethnicities = dict(Ethnicity.objects.values_list("code", "name"))
        self.labels = _labels()
        self._book: WorkbookWriter | None = None
        self._file: IO[str] | None = None
        self._write: Callable[[dict[str, Any]], None]
        if fmt == "xlsx":
            self._book = WorkbookWriter(
                path,
                sheet_name="Danh sách đảng viên",
                header=[c.header for c in COLUMNS],
                widths=[c.width for c in COLUMNS],
            ).__enter__()
            kinds: list[str | dict[Any, str]] = []
            for col in COLUMNS:
                if col.field == "ethnicity":
                    kinds.append(dict(self.ethnicities))
                elif col.field in _CHOICES:
                    kinds.append(self.labels[col.field])
                elif col.field.startswith("date_"):
                    kinds.append("date")
                else:
                    kinds.append(
                        "code"
                        if col.field in ("citizen_id", "old_card_number", "phone", "file_number")
                        else "text"
                    )
            encode = row_encoder(kinds)
            book = self._book

            def xlsx(values: dict[str, Any]) -> None:
                row = [_xlsx_value(c.field, values[c.field]) for c in COLUMNS]
                book.write(encode(row).encode())

            self._write = xlsx
        elif fmt == "csv":
            self._file = path.open("w", encoding="utf-8-sig", newline="")
            writer = csv.writer(self._file)
            writer.writerow([c.header for c in COLUMNS])

            def csv_row(values: dict[str, Any]) -> None:
                writer.writerow([self._cell(c.field, values[c.field]) for c in COLUMNS])

            self._write = csv_row
        else:
            self._file = path.open("w", encoding="utf-8", newline="\n")
            out = self._file

            def jsonl(values: dict[str, Any]) -> None:
                item = dict(values)
                item["ethnicity"] = self.ethnicities.get(item["ethnicity"], item["ethnicity"])
                out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")

            self._write = jsonl

    def _cell(self, name: str, value: Any) -> str:
        """A CSV cell as an office reads it: labels, dd/mm/yyyy, and no formula."""
        if value is None:
            return ""
        if name == "ethnicity":
            return str(self.ethnicities.get(value, value))
        if name in self.labels:
            return self.labels[name].get(value, value)
        if name.startswith("date_"):
            y, m, d = value.split("-")
            return f"{d}/{m}/{y}"
        text = str(value)
        return "'" + text if text[:1] in FORMULA_TRIGGERS else text

    def write(self, values: dict[str, Any]) -> None:
        self._write(values)
        self.rows += 1

    def close(self) -> None:
        if self._book is not None:
            self._book.__exit__(None, None, None)
        if self._file is not None:
            self._file.close()


def row_writer(path: Path, fmt: str) -> RowWriter:
    """A :class:`RowWriter` for ``fmt`` ("xlsx", "csv" or "jsonl") writing to ``path``."""
    if fmt not in FORMATS:
        raise ParseError(_("Unknown format '%(fmt)s'.") % {"fmt": fmt})
    return RowWriter(path, fmt)
