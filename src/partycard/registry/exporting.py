"""Roster export: a subtree's members as .xlsx, in the layout ``import`` reads back (docs/import-format.md).

Two ways, one row format (issue 15):

* ``export_roster`` writes the whole file in one process: the page's small exports (a commune or less,
  ``EXPORT_INLINE_MEMBERS``) and ``partycard export``. Rows stream from the database in the file's order
  (cell path, folded name, id) through a server-side cursor, straight into the workbook.
* The background job (``registry/jobs.py``) for anything larger: ``export_plan`` cuts the subtree's
  members into chunks by **id range** (``EXPORT_CHUNK_MEMBERS`` each), ``export_part`` writes one chunk's
  rows, sorted, to a part file (atomically: a chunk run again after a crash replaces its part), and
  ``export_seal`` merges the parts in order into the workbook. An id lives in exactly one range, so a
  member transferred or renamed while the job runs is written once, never twice; the open-ended last range
  takes members added meanwhile.

Rows are read as plain tuples (``values_list``, no model instances) and each becomes one string of cell
XML (``xlsx_stream``): choices, ethnicities and the like are formatted once per value, not per cell.

No text leaves as a formula (issue 12, OWASP "CSV injection"): every text cell is an inline-string cell,
which no spreadsheet evaluates, and one that a spreadsheet could still read as a formula once edited
(``=``, ``+``, ``-``, ``@``, tab, carriage return, or their full-width forms, first) also carries Excel's
"quote prefix" style, the same as typing ``'`` before it. The value itself is unchanged, so an export
still imports back as it was.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import translation
from tqdm import tqdm

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.core.scope import scope_require
from partycard.jobs.storage import file_write
from partycard.registry.choices import Gender, MemberStatus, Qualification, Religion
from partycard.registry.models import Ethnicity, Member, Organisation
from partycard.registry.roster import COLUMNS
from partycard.registry.xlsx_stream import FORMULA_TRIGGERS, WorkbookWriter, row_encoder

__all__ = [
    "CONTENT_TYPE",
    "FORMULA_TRIGGERS",
    "SHEET_NAME",
    "ExportPlan",
    "export_filename",
    "export_members",
    "export_part",
    "export_plan",
    "export_roster",
    "export_seal",
]

SHEET_NAME = "Danh sách đảng viên"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FETCH = 5000  # rows per round trip of the server-side cursor
_CODES = frozenset({"citizen_id", "old_card_number", "phone", "file_number"})  # text format: leading zeros
_CHOICES: dict[str, Any] = {
    "gender": Gender,
    "religion": Religion,
    "qualification": Qualification,
    "status": MemberStatus,
}
_SOURCE = {"organisation_code": "organisation__code", "ethnicity": "ethnicity_id"}
# The sort key of a part's line: cell path, folded name and id, separated by \x01 (below every character
# a path or name holds, so a shorter path sorts first, as a tuple would), then \x02 and the <row> element;
# control characters are taken out of the key (a name holds none; this keeps the line framing safe).
_KEY_UNSAFE = str.maketrans("", "", "".join(map(chr, range(0x20))))


def export_filename(root: Organisation) -> str:
    return f"dang-vien-{root.code}.xlsx"


def export_members(actor: Any, root: Organisation) -> QuerySet[Member]:
    """The members of ``root``'s subtree that ``actor`` may export (every one for the system, ``None``)."""
    members = Member.objects.all() if actor is None else Member.objects.scoped(actor, Action.EXPORT_MEMBER)
    return members.filter(organisation__path__startswith=root.path)


def _encoder() -> Callable[[Sequence[Any]], str]:
    """The row encoder (``xlsx_stream.row_encoder``) for ``COLUMNS``, reading a ``_FIELDS`` row from its
    fourth value on. Labels are Vietnamese whatever the request's language (the file is the offices')."""
    columns: list[str | dict[Any, str]] = []
    with translation.override("vi"):
        for col in COLUMNS:
            if col.field == "ethnicity":
                columns.append(dict(Ethnicity.objects.values_list("code", "name")))
            elif col.field in _CHOICES:
                columns.append({str(m.value): str(m.label) for m in _CHOICES[col.field]})
            elif col.field.startswith("date_"):
                columns.append("date")
            else:
                columns.append("code" if col.field in _CODES else "text")
    return row_encoder(columns, start=3)


_FIELDS = ("id", "organisation__path", "name_search", *(_SOURCE.get(c.field, c.field) for c in COLUMNS))


def export_roster(root: Organisation, path: Path, *, actor: Any = None, progress: bool = False) -> int:
    """Write every member of ``root``'s subtree that ``actor`` may export to ``path``; how many rows.

    In one process and one pass: the rows come from the database in the file's order through a
    server-side cursor, so memory stays flat whatever the size. The export is audited (who exported which
    subtree, how many members), not its content.

    Raises:
        OutOfScope: ``root`` is not in ``actor``'s scope for exporting members.
    """
    scope_require(actor, Action.EXPORT_MEMBER, root, field="organisation")
    members = export_members(actor, root).order_by("organisation__path", "name_search", "id")
    encode = _encoder()
    rows = members.values_list(*_FIELDS).iterator(chunk_size=_FETCH)
    with WorkbookWriter(
        path, sheet_name=SHEET_NAME, header=[c.header for c in COLUMNS], widths=[c.width for c in COLUMNS]
    ) as book:
        bar = tqdm(rows, disable=not progress, unit=" members", desc="export")
        book.write_all(encode(row).encode() for row in bar)
    with transaction.atomic():
        audit_record(actor=actor, action="export", obj=root, changes={"members": [None, book.rows]})
    return book.rows


@dataclass(frozen=True)
class ExportPlan:
    """The chunks of a background export: ``bounds[i]`` is the first id of chunk ``i + 1``."""

    members: int
    bounds: list[int]

    @property
    def chunks(self) -> int:
        return len(self.bounds) + 1


def export_plan(actor: Any, root: Organisation, *, size: int) -> ExportPlan:
    """Cut the subtree's members into id ranges of ``size`` (the last one open-ended).

    The bounds are every ``size``-th id, numbered by the database (``ROW_NUMBER``), so only they travel:
    not the half-million ids of a province. Read as one statement, not through a cursor (PostgreSQL plans
    a cursor for its first rows, here a walk of every member in id order).
    """
    members = export_members(actor, root)
    count = members.count()
    inner, params = members.order_by().values("id").query.sql_with_params()
    sql = (
        "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM ("  # noqa: S608 - the ORM's SQL
        + inner
        + ") AS members) AS numbered WHERE n > 1 AND (n - 1) %% %s = 0 ORDER BY id"
    )
    with connections[members.db].cursor() as cursor:
        cursor.execute(sql, [*params, size])
        bounds = [int(pk) for (pk,) in cursor.fetchall()]
    return ExportPlan(members=count, bounds=bounds)


def _range(members: QuerySet[Member], bounds: Sequence[int], index: int) -> QuerySet[Member]:
    if index > 0:
        members = members.filter(id__gte=bounds[index - 1])
    if index < len(bounds):
        members = members.filter(id__lt=bounds[index])
    return members


def export_part(actor: Any, root: Organisation, *, bounds: Sequence[int], index: int, path: Path) -> int:
    """Write chunk ``index`` of the plan to the part file ``path`` (atomically); how many rows.

    Each line is the row's sort key, ``\\x02``, its ``<row>`` element and a newline (which it never holds:
    ``xlsx_stream`` writes it as a character reference); the lines are sorted, so ``export_seal`` merges
    the parts in the file's order.

    Raises:
        OutOfScope: ``root`` is no longer in ``actor``'s scope.
    """
    scope_require(actor, Action.EXPORT_MEMBER, root, field="organisation")
    encode = _encoder()
    lines = []
    for row in _range(export_members(actor, root), bounds, index).values_list(*_FIELDS).iterator(_FETCH):
        key = f"{row[1]}\x01{str(row[2]).translate(_KEY_UNSAFE)}\x01{row[0]:020d}"
        lines.append(f"{key}\x02{encode(row)}\n".encode())
    lines.sort()
    file_write(path, lines)
    return len(lines)


def _merged(parts: Sequence[Path], stack: ExitStack) -> Iterator[bytes]:
    files = [stack.enter_context(part.open("rb")) for part in parts]
    for line in heapq.merge(*files):
        yield line[line.index(b"\x02") + 1 : -1]


def export_seal(parts: Iterable[Path], path: Path) -> int:
    """Merge the sorted ``parts`` into the workbook at ``path`` (written atomically); how many rows."""
    with (
        ExitStack() as stack,
        WorkbookWriter(
            path,
            sheet_name=SHEET_NAME,
            header=[c.header for c in COLUMNS],
            widths=[c.width for c in COLUMNS],
        ) as book,
    ):
        book.write_all(_merged(list(parts), stack))
    return book.rows
