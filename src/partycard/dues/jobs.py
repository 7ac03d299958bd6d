"""Closing a dues month as a background job: its arrears written into the member records, in chunks.

The job's chunks are slices of member ids (``low < id <= high``) fixed when it is made (the largest id
then), so a chunk always covers the same members; each chunk's writes commit with its ``JobChunk`` row
(``jobs.runner``), so a job killed half-way resumes with the chunks not done. Each slice is idempotent
(``services.arrears_apply``): closing the same month again, or resuming, records no month twice.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from partycard.accounts.roles import Action
from partycard.core.scope import OutOfScope, scope_path, scope_require
from partycard.dues import services
from partycard.dues.errors import MonthNotEnded
from partycard.dues.months import month_end, month_key, month_parse
from partycard.jobs.models import Job
from partycard.jobs.services import ChunkResult, Failure, job_create, register
from partycard.registry.models import Member, Organisation

__all__ = ["CLOSE_MONTH", "month_close_start", "register_kinds"]

CLOSE_MONTH = "dues.close_month"


def _size(job: Job) -> int:
    return int(job.params.get("chunk") or settings.PARTYCARD["JOB_CHUNK_SIZE"])


class CloseMonth:
    """Close one month over a subtree: member ids ``(index * size, (index + 1) * size]`` per chunk."""

    def chunk_count(self, job: Job) -> int:
        return max(1, math.ceil(int(job.params["max_id"]) / _size(job)))

    def total(self, job: Job) -> int:
        return int(job.params["members"])

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        size = _size(job)
        month = month_parse(job.params["month"])
        assert month is not None
        outcome = services.arrears_apply(
            actor=job.actor, month=month, path=job.params["path"], low=index * size, high=(index + 1) * size
        )
        failures = []
        for member_id, why in sorted(outcome.refused.items()):
            failures.append(Failure(member_id, why, why))
        if index == self.chunk_count(job) - 1:
            services.month_close_record(actor=job.actor, month=month, path=job.params["path"], job_id=job.pk)
        return ChunkResult(succeeded=len(outcome.added) + len(outcome.removed), failures=failures)


def month_close_start(
    *, actor: Any, month: dt.date, root: Organisation | None = None, chunk: int | None = None,
    enqueue: bool = True,
) -> Job:  # fmt: skip
    """A job closing ``month`` over ``root``'s subtree (the actor's whole scope when None; the whole tree
    for the system): every member who owed dues that month and has no payment the cell stands behind gets
    the month recorded as unpaid (Charter Art. 8(2)).

    Raises:
        MonthNotEnded: the month has not ended yet.
        OutOfScope: ``root`` is outside the actor's scope for recording dues, or the actor has no scope.
        TooManyJobs: the actor already has ``JOBS_PER_USER`` jobs waiting or running.
    """
    from partycard.core import clock

    if month_end(month) >= clock.today():
        raise MonthNotEnded()
    if root is not None:
        scope_require(actor, Action.CHANGE_PAYMENT, root, field="organisation")
        path = root.path
    elif actor is None:
        path = ""
    else:
        found = scope_path(actor)
        if found is None or not Organisation.objects.scoped(actor, Action.CHANGE_PAYMENT).exists():
            raise OutOfScope("organisation")
        path = found
    members = Member.objects.filter(organisation__path__startswith=path)
    params: dict[str, Any] = {
        "month": month_key(month),
        "path": path,
        "max_id": members.aggregate(m=Max("pk"))["m"] or 0,
        "members": members.count(),
    }
    if chunk:
        params["chunk"] = chunk
    with transaction.atomic():
        job = job_create(actor=actor, kind=CLOSE_MONTH, params=params)
        if enqueue:
            from partycard.jobs.tasks import job_enqueue

            transaction.on_commit(lambda: job_enqueue(job.pk))
    return job


def register_kinds() -> None:
    register(CLOSE_MONTH, CloseMonth(), label=_("Closing a month of party dues"))
