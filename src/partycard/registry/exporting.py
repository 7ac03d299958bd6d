"""``partycard export``: a subtree's roster as .xlsx, in the layout that ``import`` reads back.

Streams rows (openpyxl write-only mode, a server-side iterator), so a province of 500,000 members does
not sit in memory.

No text leaves as a formula (issue 12, OWASP "CSV injection"): openpyxl writes any string that begins
with ``=`` as a live ``<f>`` formula, so a name such as ``=HYPERLINK("http://…"&A2,"…")`` would run in
the office's spreadsheet. Every text cell is forced to a string cell, and one that a spreadsheet could
still read as a formula once edited (``=``, ``+``, ``-``, ``@``, tab, carriage return, or their
full-width forms, first) also carries Excel's "quote prefix" style, the same as typing ``'`` before it.
The value itself is unchanged, so an export still imports back as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from tqdm import tqdm

from partycard.audit.services import audit_record
from partycard.registry.models import Member, Organisation
from partycard.registry.roster import COLUMNS

__all__ = ["FORMULA_TRIGGERS", "export_roster", "inert_cell"]

DATE_FORMAT = "DD/MM/YYYY"
# OWASP "CSV Injection": a cell starting with one of these may be read as a formula; U+FF1D, U+FF0B,
# U+FF0D, U+FF20 are their full-width forms, which some spreadsheet locales also accept.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def inert_cell(sheet: Any, value: object) -> WriteOnlyCell:
    """A write-only cell holding ``value``; text is always a string cell, never a formula."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl made "=…" a formula ("f"); a string cell is never evaluated
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True  # and stays text if someone edits the cell in Excel or LibreOffice
    return cell


def export_roster(root: Organisation, path: Path, *, actor: Any = None, progress: bool = False) -> int:
    """Write every member of ``root``'s subtree to ``path``; return how many rows were written.

    The export itself is audited (who exported which subtree, how many members), not its content.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Danh sách đảng viên")
    for i, col in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + i)].width = col.width
    bold = Font(bold=True)
    header = []
    for col in COLUMNS:
        cell = inert_cell(sheet, col.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    qs = (
        Member.objects.filter(organisation__path__startswith=root.path)
        .select_related("organisation", "ethnicity")
        .order_by("organisation__path", "name_search", "id")
    )
    written = 0
    for m in tqdm(qs.iterator(chunk_size=2000), disable=not progress, unit=" members", desc="export"):
        row = []
        for col in COLUMNS:
            if col.field == "organisation_code":
                value: object = m.organisation.code
            elif col.field == "ethnicity":
                value = m.ethnicity.name
            elif col.field in ("gender", "religion", "qualification", "status"):
                value = getattr(m, f"get_{col.field}_display")() if getattr(m, col.field) else ""
            else:
                value = getattr(m, col.field)
            cell = inert_cell(sheet, value)
            if col.field.startswith("date_") and value is not None:
                cell.number_format = DATE_FORMAT
            elif col.field in ("citizen_id", "old_card_number", "phone", "file_number"):
                cell.number_format = "@"  # text: keep leading zeros
            row.append(cell)
        sheet.append(row)
        written += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    with transaction.atomic():
        audit_record(actor=actor, action="export", obj=root, changes={"members": [None, written]})
    return written
