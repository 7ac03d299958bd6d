"""The review workbook (.xlsx): what a remote cell fills in offline, and reading it back (issue 17).

Layout (docs/review.md):

* ``Hướng dẫn``: the instructions, in Vietnamese; the sheet that opens first.
* one sheet per cell, named by its code: a header row (the roster's Vietnamese headers,
  ``registry.roster.COLUMNS``), one row per active member. The member id, the file number and the status
  are locked (sheet protection, the other cells unlocked): the id and the file number are the keys a row
  is matched on. Choice fields carry validation lists, dates a dd/mm/yyyy check; every editable cell is
  formatted as text so that a citizen ID keeps its leading zeros.
* ``_goc`` (very hidden): the base copy, every exported value in its canonical form (``review.fields``):
  per member its sheet, its id and its values as one JSON array (one cell, not twenty: half the file).
* ``_ky`` (very hidden): the export's identity (id, organisation, time, exporter) and the signature,
  HMAC-SHA256 (Django's ``salted_hmac`` with this module's salt, keyed by ``SECRET_KEY``) over the canonical
  serialisation of the identity and the base. A very hidden sheet is out of sight, not out of reach: the
  signature, not the hiding, is what makes a changed base detectable.
* ``_ds`` (very hidden): the validation lists (the ethnic groups are too many for an inline list).

No cell holds a formula: every text is a string cell, and one a spreadsheet could read as a formula once
edited (OWASP "CSV Injection": = + - @ and their full-width forms, tab, CR) also gets the quote prefix.
Reading refuses a formula typed into a cell rather than evaluating or storing it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from partycard.registry.roster import ParseError
from partycard.review.fields import (
    EDITABLE,
    FIELDS,
    ID_HEADER,
    choice_labels,
    display,
    parse_cell,
)

__all__ = [
    "BASE_SHEET",
    "FORMAT",
    "INSTRUCTIONS_SHEET",
    "LISTS_SHEET",
    "META_SHEET",
    "ReturnedRow",
    "SheetData",
    "SheetProblem",
    "WorkbookMeta",
    "WorkbookRead",
    "WorkbookRefused",
    "canonical",
    "digest",
    "sheet_name",
    "signature",
    "workbook_build",
    "workbook_read",
]

FORMAT = "partycard-review/1"
INSTRUCTIONS_SHEET = "Hướng dẫn"
BASE_SHEET = "_goc"
META_SHEET = "_ky"
LISTS_SHEET = "_ds"
_SALT = "partycard.review.workbook.signature"
_RESERVED = {INSTRUCTIONS_SHEET, BASE_SHEET, META_SHEET, LISTS_SHEET}
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_MAX_COLUMNS = len(FIELDS) + 8  # cells read per row: a row padded to column XFD is not read whole
_UNLOCKED = Protection(locked=False)
_BOLD = Font(bold=True)
_KEY_FILL = PatternFill("solid", fgColor="E7E6E6")  # the locked key columns, greyed


@dataclass(frozen=True)
class WorkbookMeta:
    """The export's identity, signed with the base."""

    export_id: int
    organisation: str  # its code
    organisation_name: str
    exported_at: dt.datetime
    exporter: str

    def as_dict(self) -> dict[str, str]:
        return {
            "format": FORMAT,
            "export": str(self.export_id),
            "organisation": self.organisation,
            "exported_at": self.exported_at.isoformat(),
            "exporter": self.exporter,
        }


@dataclass(frozen=True)
class SheetData:
    """One cell's sheet: its code and name, and (member id, canonical values, display name) per member."""

    code: str
    name: str
    rows: Sequence[tuple[int, dict[str, str | None]]]

    @property
    def sheet(self) -> str:
        return sheet_name(self.code)


def sheet_name(code: str) -> str:
    """A cell code as a sheet name: without the characters Excel forbids, at most 31 characters."""
    cleaned = "".join(ch for ch in code if ch not in "[]:*?/\\").strip("'")[:31] or "CHI-BO"
    return cleaned + "_" if cleaned in _RESERVED else cleaned


def _base_rows(sheets: Sequence[SheetData]) -> list[list[str | None]]:
    return [
        [s.sheet, str(pk), *(values.get(f.name) for f in FIELDS)] for s in sheets for pk, values in s.rows
    ]


def canonical(meta: dict[str, str], rows: Sequence[Sequence[str | None]]) -> bytes:
    """The signed bytes: the identity, the field names and the base rows as compact, key-sorted JSON."""
    payload = {"meta": meta, "fields": [f.name for f in FIELDS], "rows": [list(r) for r in rows]}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(data: bytes) -> str:
    """HMAC-SHA256 of ``data`` under a key derived from ``SECRET_KEY`` for this purpose only."""
    return salted_hmac(_SALT, data, algorithm="sha256").hexdigest()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _text(cell: Any, value: str) -> None:
    """``value`` as a string cell, never a formula (quote prefix on a formula trigger)."""
    cell.value = value
    cell.data_type = "s"
    if value.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True


def _put(sheet: Any, row: int, column: int, value: str | None) -> Any:
    cell = sheet.cell(row=row, column=column)
    if value is not None and value != "":
        _text(cell, value)
    return cell


_INSTRUCTIONS = [
    "PHIẾU RÀ SOÁT DỮ LIỆU ĐẢNG VIÊN (BẢNG TÍNH NGOẠI TUYẾN)",
    "",
    "1. Mỗi trang tính là một chi bộ (tên trang là mã chi bộ); mỗi dòng là một đảng viên.",
    "2. Sửa trực tiếp vào ô có thông tin sai hoặc còn thiếu; không xóa dòng, không thêm dòng, không đổi "
    "tên trang tính hay tiêu đề cột.",
    "3. Các cột xám (Mã đảng viên, Số lý lịch, Trạng thái) bị khóa: đó là khóa để đối chiếu, không sửa.",
    "4. Ngày ghi dạng dd/mm/yyyy (ví dụ 05/09/1975). Giới tính, dân tộc, tôn giáo, chuyên môn chọn trong "
    "danh sách của ô.",
    "5. Số CCCD ghi đủ 12 chữ số; số điện thoại 10 chữ số, bắt đầu bằng 0.",
    "6. Không nhập công thức (ô bắt đầu bằng dấu =): hệ thống sẽ từ chối.",
    "7. Bảng tính có bản gốc ẩn và chữ ký số để phát hiện sửa đổi; bảng tính bị sửa phần ẩn sẽ bị từ chối.",
    "8. Nộp lại đúng tệp này tại trang Rà soát (/ra-soat/). Cán bộ có thẩm quyền sẽ xem từng thay đổi, "
    "quyết định các trường hợp vênh và áp dụng; việc nhập tệp chưa thay đổi hồ sơ.",
]


def _instructions(book: Workbook, meta: WorkbookMeta, sheets: Sequence[SheetData]) -> None:
    sheet = book.active
    sheet.title = INSTRUCTIONS_SHEET
    sheet.column_dimensions["A"].width = 110
    lines = [
        *_INSTRUCTIONS,
        "",
        f"Tổ chức: {meta.organisation_name} ({meta.organisation})",
        f"Số phiếu xuất: {meta.export_id}",
        f"Xuất lúc: {meta.exported_at:%d/%m/%Y %H:%M}",
        f"Người xuất: {meta.exporter or '—'}",
        f"Số chi bộ: {len(sheets)}; số đảng viên: {sum(len(s.rows) for s in sheets)}",
    ]
    for i, line in enumerate(lines, start=1):
        cell = _put(sheet, i, 1, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.protection.sheet = True


def _lists(book: Workbook) -> dict[str, str]:
    """The very hidden sheet of validation lists; the range reference of each choice field's list."""
    sheet = book.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "veryHidden"
    refs: dict[str, str] = {}
    column = 0
    for f in EDITABLE:
        if f.choices is None and f.name != "ethnicity":
            continue
        column += 1
        labels = choice_labels(f)
        for row, label in enumerate(labels, start=1):
            _put(sheet, row, column, label)
        letter = get_column_letter(column)
        refs[f.name] = f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(labels)}"
    sheet.protection.sheet = True
    return refs


def _validations(sheet: Any, last_row: int, refs: dict[str, str]) -> None:
    for index, f in enumerate(FIELDS, start=2):
        if f.locked:
            continue
        letter = get_column_letter(index)
        area = f"{letter}2:{letter}{max(last_row, 2)}"
        if f.name in refs:
            dv = DataValidation(type="list", formula1=refs[f.name], allow_blank=True)
            dv.error = "Chọn một giá trị trong danh sách."
        elif f.is_date:
            top = f"{letter}2"
            dv = DataValidation(
                type="custom",
                formula1=(
                    f'AND(LEN({top})=10,MID({top},3,1)="/",MID({top},6,1)="/",'
                    f"ISNUMBER(--MID({top},1,2)),ISNUMBER(--MID({top},4,2)),ISNUMBER(--MID({top},7,4)))"
                ),
                allow_blank=True,
            )
            dv.error = "Ghi ngày dạng dd/mm/yyyy, ví dụ 05/09/1975."
        else:
            continue
        dv.errorTitle = "Giá trị không hợp lệ"
        dv.showErrorMessage = True
        dv.add(area)
        sheet.add_data_validation(dv)


def _cell_sheet(book: Workbook, data: SheetData, refs: dict[str, str]) -> None:
    sheet = book.create_sheet(data.sheet)
    headers = [ID_HEADER, *(f.header for f in FIELDS)]
    for column, header in enumerate(headers, start=1):
        cell = _put(sheet, 1, column, header)
        cell.font = _BOLD
        width = 12 if column == 1 else FIELDS[column - 2].column.width
        sheet.column_dimensions[get_column_letter(column)].width = width
        if column == 1 or FIELDS[column - 2].locked:
            cell.fill = _KEY_FILL
        else:
            sheet.column_dimensions[get_column_letter(column)].number_format = "@"
    for row, (pk, values) in enumerate(data.rows, start=2):
        cell = _put(sheet, row, 1, str(pk))
        cell.fill = _KEY_FILL
        for column, f in enumerate(FIELDS, start=2):
            cell = _put(sheet, row, column, display(f, values.get(f.name)))
            if f.locked:
                cell.fill = _KEY_FILL
            else:
                cell.protection = _UNLOCKED
                cell.number_format = "@"
    _validations(sheet, len(data.rows) + 1, refs)
    sheet.freeze_panes = "C2"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # widening a column is allowed
    sheet.protection.formatRows = False


def workbook_build(meta: WorkbookMeta, sheets: Sequence[SheetData]) -> tuple[bytes, str]:
    """The workbook's bytes and the SHA-256 digest of its canonical base (kept on the export record)."""
    rows = _base_rows(sheets)
    signed = canonical(meta.as_dict(), rows)
    book = Workbook()
    _instructions(book, meta, sheets)
    refs = _lists(book)
    for data in sheets:
        _cell_sheet(book, data, refs)
    base = book.create_sheet(BASE_SHEET)
    base.sheet_state = "veryHidden"
    for column, name in enumerate(("sheet", "member_id", "values"), start=1):
        _put(base, 1, column, name)
    for r, values in enumerate(rows, start=2):  # one JSON cell per member: 3 cells a row, not 20
        _put(base, r, 1, values[0])
        _put(base, r, 2, values[1])
        _put(base, r, 3, json.dumps(values[2:], ensure_ascii=False, separators=(",", ":")))
    signed_meta = book.create_sheet(META_SHEET)
    signed_meta.sheet_state = "veryHidden"
    for r, (key, value) in enumerate([*meta.as_dict().items(), ("signature", signature(signed))], start=1):
        _put(signed_meta, r, 1, key)
        _put(signed_meta, r, 2, value)
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), digest(signed)


# ---- reading back ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetProblem:
    """A reason a workbook is refused: the sheet, the row (1-based, as shown; 0 for the sheet or the
    file), the column header, the reason in the UI language."""

    sheet: str
    row: int
    column: str
    message: str


@dataclass
class ReturnedRow:
    sheet: str
    row: int
    member_id: int
    values: dict[str, str | None]  # the editable fields, canonical (a field that failed is left out)


@dataclass
class WorkbookRead:
    meta: dict[str, str]
    digest: str  # of the canonical base: matched against the export record's
    base: dict[int, tuple[str, dict[str, str | None]]]  # member id → (sheet, canonical values)
    rows: list[ReturnedRow] = field(default_factory=list)
    problems: list[SheetProblem] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)  # base members whose row is gone


class WorkbookRefused(ValueError):
    """The workbook as a whole cannot be read or trusted (no signature, a changed base, not ours)."""


def _strings(sheet: Any, max_col: int) -> Iterator[list[Any]]:
    for row in sheet.iter_rows(max_col=max_col, values_only=True):
        yield list(row)


def _changed() -> str:
    return _(
        "The hidden base copy of the workbook was changed (or its signature does not match): "
        "it cannot be trusted. Export a new workbook."
    )


def _signed_part(book: Any) -> tuple[dict[str, str], list[list[str | None]], str]:
    names = set(book.sheetnames)
    if META_SHEET not in names or BASE_SHEET not in names:
        raise WorkbookRefused(
            _(
                "The workbook carries no signature: it was not exported by partycard for a review, or its "
                "hidden part was removed."
            )
        )
    meta: dict[str, str] = {}
    for row in _strings(book[META_SHEET], 2):
        if row and isinstance(row[0], str):
            meta[row[0]] = "" if len(row) < 2 or row[1] is None else str(row[1])
    sign = meta.pop("signature", "")
    if not sign:
        raise WorkbookRefused(
            _("The workbook's signature is missing: the hidden base copy cannot be checked.")
        )
    base_rows: list[list[str | None]] = []
    for i, row in enumerate(_strings(book[BASE_SHEET], 3)):
        if i == 0:
            continue
        padded = (row + [None] * 3)[:3]
        try:
            values = json.loads(str(padded[2]))
        except ValueError:
            values = None
        if not isinstance(values, list) or len(values) != len(FIELDS):
            raise WorkbookRefused(_changed())
        base_rows.append(
            [None if padded[0] is None else str(padded[0]), None if padded[1] is None else str(padded[1])]
            + [None if v is None else str(v) for v in values]
        )
    return meta, base_rows, sign


def _header_map(sheet_title: str, header: list[Any], problems: list[SheetProblem]) -> dict[int, Any]:
    by_header: dict[str, Any] = {ID_HEADER: ID_HEADER, **{f.header: f for f in FIELDS}}
    mapping: dict[int, Any] = {}
    for i, raw in enumerate(header):
        text = str(raw).strip() if raw is not None else ""
        if text in by_header and by_header[text] not in mapping.values():
            mapping[i] = by_header[text]
    for wanted, target in by_header.items():
        if target not in mapping.values() and (target == ID_HEADER or not target.locked):
            problems.append(
                SheetProblem(sheet_title, 1, wanted, _("the column is missing or its header was changed"))
            )
    return mapping


def workbook_read(path: Path, *, max_rows: int) -> WorkbookRead:
    """Read a returned workbook: check the signature of its base, then parse every member row.

    The caller has checked the file's size and shape (``registry.importing.check_file``). Every problem
    of a row is listed (sheet, row, column, reason); a row is matched on its member id, which must be in
    the base copy of that sheet.

    Raises:
        WorkbookRefused: unreadable, unsigned, or its base copy or identity changed since the export.
    """
    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as e:  # openpyxl raises a zoo (BadZipFile, KeyError, XML and value errors)
        raise WorkbookRefused(
            _("The file is not a readable .xlsx workbook (damaged, cut short, or another kind of file).")
        ) from e
    try:
        return _read(book, max_rows)
    except (WorkbookRefused, ParseError):
        raise
    except Exception as e:  # a part cut short or malformed shows only once it is read
        raise WorkbookRefused(
            _("The file is not a readable .xlsx workbook (damaged, cut short, or another kind of file).")
        ) from e
    finally:
        book.close()


def _read(book: Any, max_rows: int) -> WorkbookRead:
    meta, base_rows, sign = _signed_part(book)
    signed = canonical(meta, base_rows)
    if not constant_time_compare(signature(signed), sign):
        raise WorkbookRefused(_changed())
    base: dict[int, tuple[str, dict[str, str | None]]] = {}
    for row in base_rows:
        values = {f.name: row[i + 2] for i, f in enumerate(FIELDS)}
        base[int(str(row[1]))] = (str(row[0]), values)
    result = WorkbookRead(meta=meta, digest=digest(signed), base=base)
    seen: set[int] = set()
    for sheet_title in sorted({s for s, _v in base.values()}):
        if sheet_title not in book.sheetnames:
            result.problems.append(SheetProblem(sheet_title, 0, "", _("the sheet is missing")))
            continue
        _read_sheet(book[sheet_title], sheet_title, result, seen, max_rows)
    result.missing = sorted(pk for pk, (s, _v) in base.items() if pk not in seen and s in book.sheetnames)
    return result


def _read_sheet(sheet: Any, title: str, result: WorkbookRead, seen: set[int], max_rows: int) -> None:
    rows = sheet.iter_rows(max_col=_MAX_COLUMNS)
    header = next(rows, None)
    if header is None:
        result.problems.append(SheetProblem(title, 1, "", _("the sheet is empty")))
        return
    mapping = _header_map(title, [c.value for c in header], result.problems)
    id_index = next((i for i, t in mapping.items() if t == ID_HEADER), None)
    if id_index is None:
        return
    for number, cells in enumerate(rows, start=2):
        if number > max_rows + 1:
            result.problems.append(SheetProblem(title, number, "", _("the sheet has too many rows")))
            return
        raw = [c.value for c in cells]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw):
            continue
        problems: list[SheetProblem] = []
        for i, cell in enumerate(cells):
            if getattr(cell, "data_type", None) == "f" and i in mapping:
                target = mapping[i]
                header_text = ID_HEADER if target == ID_HEADER else target.header
                problems.append(
                    SheetProblem(title, number, header_text, _("holds a formula; write the value itself"))
                )
        member_id = _member_id(raw[id_index] if id_index < len(raw) else None)
        if member_id is None or member_id not in result.base or result.base[member_id][0] != title:
            shown = "" if raw[id_index] is None else str(raw[id_index])
            problems.append(
                SheetProblem(
                    title, number, ID_HEADER,
                    _(
                        "member id '%(id)s' is not in this sheet's exported copy: a review corrects the "
                        "members sent out, it adds none (add a member on its page)"
                    ) % {"id": shown},
                )
            )  # fmt: skip
            result.problems.extend(problems)
            continue
        if member_id in seen:
            problems.append(SheetProblem(title, number, ID_HEADER, _("this member's row appears twice")))
            result.problems.extend(problems)
            continue
        seen.add(member_id)
        values: dict[str, str | None] = {}
        base = result.base[member_id][1]
        for i, target in mapping.items():
            if target == ID_HEADER or any(p.column == target.header for p in problems):
                continue
            value = raw[i] if i < len(raw) else None
            parsed: str | ParseError | None
            try:
                parsed = parse_cell(target, value)
            except ParseError as e:
                parsed = None if target.locked else e
            if target.locked:  # a key or the status: not changed by a review (the sheet was unprotected)
                if parsed != base.get(target.name):
                    problems.append(
                        SheetProblem(
                            title, number, target.header, _("this column is locked: it is not changed here")
                        )
                    )
            elif isinstance(parsed, ParseError):
                problems.append(SheetProblem(title, number, target.header, str(parsed)))
            else:
                values[target.name] = parsed
        result.problems.extend(problems)
        result.rows.append(ReturnedRow(title, number, member_id, values))


def _member_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None
