"""A cell's month of party dues as an .xlsx workbook, made in memory (a cell is tens of members: inline).

Values only, as the project's other workbooks (distribution/documents.py, reports/documents.py): no
formula anywhere (the totals are written as numbers), and a text that a spreadsheet could read as a
formula (OWASP "CSV Injection": beginning with = + - @, a tab or CR, or their full-width forms) is a
string cell carrying the quote prefix, as if ``'`` had been typed before it.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from partycard.dues.months import month_label

__all__ = ["FORMULA_TRIGGERS", "HEADERS", "month_xlsx"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
HEADERS = (
    "STT", "Họ và tên", "Ngày sinh", "Số tiền (đồng)", "Trạng thái", "Người ghi / xác nhận", "Ngày",
    "Ghi chú",
)  # fmt: skip


def _inert(sheet: Any, value: object) -> WriteOnlyCell:
    """``value`` as a value: text a string cell, never a formula (quote prefix on a formula trigger)."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    elif isinstance(value, dt.date):
        cell.number_format = "DD/MM/YYYY"
    return cell


def month_xlsx(*, cell_name: str, month: dt.date, rows: list[tuple[Any, ...]], made_on: dt.date) -> bytes:
    """The sheet: a heading (the cell, the month, the day it was made), the header row, one row a member
    (``rows``: name, date of birth, amount or None, status label, who, when, note) and the total collected."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"Đảng phí {month:%m-%Y}")
    for letter, width in zip("ABCDEFGH", (6, 30, 12, 16, 34, 24, 12, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([_inert(sheet, f"SỔ THU ĐẢNG PHÍ THÁNG {month_label(month)} — {cell_name}")])
    sheet.append([_inert(sheet, f"Lập ngày {made_on:%d/%m/%Y}")])
    bold = Font(bold=True)
    header = []
    for text in HEADERS:
        c = _inert(sheet, text)
        c.font = bold
        header.append(c)
    sheet.append(header)
    total = 0
    for i, (name, born, amount, status, who, when, note, paid) in enumerate(rows, 1):
        if paid and amount:
            total += int(amount)
        values: list[object] = [i, name, born, amount if amount is not None else "", status, who, when, note]
        sheet.append([_inert(sheet, v) for v in values])
    sheet.append([_inert(sheet, v) for v in ("", "Tổng số đã thu", "", total, "", "", "", "")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
