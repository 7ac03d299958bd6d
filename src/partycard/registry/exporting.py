"""``partycard export``: a subtree's roster as .xlsx, in the layout that ``import`` reads back.

Streams rows (openpyxl write-only mode, a server-side iterator), so a province of 500,000 members does
not sit in memory.
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

__all__ = ["export_roster"]

DATE_FORMAT = "DD/MM/YYYY"


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
        cell = WriteOnlyCell(sheet, value=col.header)
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
            cell = WriteOnlyCell(sheet, value=value)
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
