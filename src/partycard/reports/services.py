"""The reports' writes: the counters put right (``tallies_rebuild``), and an export of a progress report
recorded in the audit log (``progress_export``).

``tallies_rebuild`` recounts everything from the rows and corrects every counter that differs, and the
daily series with it, in one transaction: after a bulk load that wrote no counters (the seed's ``COPY``),
a restore, or a difference ``report verify`` found. On PostgreSQL the counter tables are locked
(``EXCLUSIVE``: reads go on, writers wait) for its duration, so no change is counted twice or lost while
it runs: a writer that counted before the lock is in the recount; one that waits counts after it.

``progress_export`` reads the report through the scoped selectors (outside the actor's subtree:
``OutOfScope``, 404), draws it as a Party document, and audits the export in one transaction: who exported
which organisation's report, as of which day, in which format, under which number. The document itself is
not kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.scope import OutOfScope
from partycard.registry.models import Organisation
from partycard.registry.selectors import scope_root
from partycard.reports import documents, selectors
from partycard.reports.models import Tally, TallyDay
from partycard.reports.recount import corrections_apply, recount_drop, recount_into

__all__ = ["FORMATS", "Export", "Rebuilt", "progress_export", "require_whole_tree", "tallies_rebuild"]


@dataclass(frozen=True)
class Rebuilt:
    counters: int  # counters corrected
    daily: int  # sums of daily deltas corrected (on ``day``)
    day: dt.date


def require_whole_tree(actor: Any) -> None:
    """Refuse unless ``actor`` reads the reports of the whole tree (``None``, the operator, does): the
    counters are checked and rebuilt for every organisation at once.

    Raises:
        OutOfScope: the actor's report scope is a subtree, or none.
    """
    if actor is None:
        return
    root = scope_root(actor, Action.VIEW_REPORT)
    if root is None or root.parent_id is not None:
        raise OutOfScope()


def tallies_rebuild(*, actor: Any, day: dt.date | None = None) -> Rebuilt:
    """Recount every counter from the rows and correct those that differ; the difference between each
    count and the sum of its daily deltas is added to ``day`` (None: today). One transaction, audited.

    Raises:
        OutOfScope: ``actor`` does not hold the whole tree (``None``, the operator, does).
    """
    require_whole_tree(actor)
    day = day or clock.today()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {Tally._meta.db_table}, {TallyDay._meta.db_table} IN EXCLUSIVE MODE"
                )
        recount_into(path="")
        try:
            counters, daily = corrections_apply(day=day)
        finally:
            recount_drop()
        audit_record(
            actor=actor,
            action="reports.rebuild",
            object_type="reports.tally",
            changes={"counters": counters, "daily": daily, "day": day.isoformat()},
        )
    return Rebuilt(counters, daily, day)


# ---- exports ----------------------------------------------------------------------------------------

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    content_type: str


def progress_export(
    *, actor: Any, code: str, fmt: str, head: documents.Letterhead, on: dt.date | None = None
) -> Export:
    """The progress report of ``code`` and the organisations directly under it, as of the end of day
    ``on`` (None: now), as ``fmt`` ("xlsx" or "pdf"), under the letterhead ``head``.

    Raises:
        OutOfScope: ``code`` is not in the actor's scope for ``VIEW_REPORT`` (or does not exist).
        ValueError: an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    org = selectors.progress_get(actor, code=code, on=on)
    children = selectors.progress_children(actor, code=org.code, on=on) if org.has_children else []
    content = documents.report_content(org, children, on=on or clock.today())
    data = documents.report_xlsx(head, content) if fmt == "xlsx" else documents.report_pdf(head, content)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export",
            obj=Organisation.objects.get(code=org.code),
            changes={
                "report": [None, "progress"],
                "format": [None, fmt],
                "as_of": [None, (on or clock.today()).isoformat()],
                "number": [None, documents.number_line(head)],
                "organisations": [None, len(children)],
            },
        )
    day = on or clock.today()
    return Export(data, f"bao-cao-tien-do-{org.code}-{day:%Y%m%d}.{fmt}", FORMATS[fmt])
