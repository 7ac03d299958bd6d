"""The completeness report as an .xlsx file, and its export recorded in the audit log.

Values only (``documents._inert``: no formula, no text a spreadsheet could read as one): a summary sheet
(the organisation and each one directly under it, the members lacking each item, the share complete) and
a sheet of the members lacking anything (cell, name, which items), up to ``MEMBER_ROWS_MAX`` rows; a larger
subtree is exported organisation by organisation further down.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.registry.choices import ACTIVE_STATUSES
from partycard.registry.models import Member, Organisation
from partycard.reports.completeness import (
    PROBLEM_LABELS,
    Completeness,
    Problem,
    completeness_report,
    problem_q,
)
from partycard.reports.documents import _inert
from partycard.reports.services import FORMATS, Export

__all__ = ["MEMBER_ROWS_MAX", "completeness_export", "completeness_xlsx"]

MEMBER_ROWS_MAX = 20_000  # the largest commune's members, with room (as the roster export's inline bound)


def _summary_row(c: Completeness) -> list[Any]:
    return [c.code, c.name, c.members, *[c.count(p) for p in Problem], c.complete, round(c.complete_share, 4)]


def completeness_xlsx(
    org: Completeness, children: Sequence[Completeness], members: Sequence[Member]
) -> bytes:
    """The workbook: the summary sheet, then the members lacking something (already limited by the caller)."""
    with translation.override("vi"):
        problems = [str(PROBLEM_LABELS[p]) for p in Problem]
        book = Workbook()
        sheet = book.active
        sheet.title = "Tổng hợp"
        _inert(sheet.cell(1, 1), f"Báo cáo đầy đủ dữ liệu đảng viên: {org.name}")
        _inert(sheet.cell(2, 1), f"Đến ngày {clock.today():%d/%m/%Y}")
        headers = ["Mã", "Tổ chức đảng", "Đảng viên", *problems, "Đầy đủ", "Tỷ lệ đầy đủ"]
        for col, text in enumerate(headers, start=1):
            _inert(sheet.cell(4, col), text).font = Font(bold=True)
        for r, row in enumerate([_summary_row(org), *(_summary_row(c) for c in children)], start=5):
            for col, value in enumerate(row, start=1):
                cell = _inert(sheet.cell(r, col), value)
                if col == len(headers):
                    cell.number_format = "0.0%"
                elif col >= 3:
                    cell.number_format = "#,##0"
        for col, width in enumerate([16, 40, 11, *[16] * len(problems), 11, 12], start=1):
            sheet.column_dimensions[get_column_letter(col)].width = width
        listing = book.create_sheet("Danh sách")
        for col, text in enumerate(["Chi bộ", "Mã chi bộ", "Họ và tên", "Ngày sinh", *problems], start=1):
            _inert(listing.cell(1, col), text).font = Font(bold=True)
        for r, m in enumerate(members, start=2):
            lacks: set[str] = getattr(m, "lacks", set())
            values = [m.organisation.name, m.organisation.code, m.full_name, f"{m.date_of_birth:%d/%m/%Y}"]
            values += ["x" if p.value in lacks else "" for p in Problem]
            for col, value in enumerate(values, start=1):
                _inert(listing.cell(r, col), value)
        if len(members) >= MEMBER_ROWS_MAX:
            _inert(
                listing.cell(len(members) + 2, 1),
                f"Chỉ liệt kê {MEMBER_ROWS_MAX:,} đảng viên đầu tiên: xuất từng tổ chức cấp dưới.".replace(
                    ",", "."
                ),
            )
        for col, width in enumerate([34, 16, 28, 12, *[14] * len(problems)], start=1):
            listing.column_dimensions[get_column_letter(col)].width = width
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


def _members_lacking(actor: Any, path: str) -> list[Member]:
    """The active members of ``path``'s subtree lacking anything, each with ``lacks`` (problem values)."""
    flags = {f"lacks_{p.value}": problem_q(p) for p in Problem}
    any_problem = problem_q(Problem.NO_PHOTO)
    for p in Problem:
        any_problem |= problem_q(p)
    rows = list(
        Member.objects.scoped(actor, Action.VIEW_MEMBER)
        .filter(organisation__path__startswith=path, status__in=sorted(ACTIVE_STATUSES))
        .filter(any_problem)
        .annotate(**{k: ExpressionWrapper(q, output_field=BooleanField()) for k, q in flags.items()})
        .select_related("organisation")
        .order_by("organisation__path", "name_search", "pk")[:MEMBER_ROWS_MAX]
    )
    for m in rows:
        m.lacks = {p.value for p in Problem if getattr(m, f"lacks_{p.value}")}  # type: ignore[attr-defined]
    return rows


def completeness_export(*, actor: Any, code: str) -> Export:
    """The completeness report of ``code`` as .xlsx, its export audited (who, which organisation, when).

    Raises:
        OutOfScope: ``code`` is not in the actor's scope for ``VIEW_REPORT`` (or does not exist).
    """
    org, children = completeness_report(actor, code=code)
    organisation = Organisation.objects.get(code=org.code)
    members = _members_lacking(actor, organisation.path)
    data = completeness_xlsx(org, children, members)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export",
            obj=organisation,
            changes={
                "report": [None, "completeness"],
                "format": [None, "xlsx"],
                "organisations": [None, len(children)],
                "members_listed": [None, len(members)],
            },
        )
    return Export(data, f"bao-cao-day-du-du-lieu-{org.code}-{clock.today():%Y%m%d}.xlsx", FORMATS["xlsx"])
