"""The reports' one write: an export of a progress report, recorded in the audit log.

The report is read through the scoped selectors (outside the actor's subtree: ``OutOfScope``, 404), drawn
as a Party document, and its export audited in one transaction: who exported which organisation's report,
as of which day, in which format, under which number. The document itself is not kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.registry.models import Organisation
from partycard.reports import documents, selectors

__all__ = ["FORMATS", "Export", "progress_export"]

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
