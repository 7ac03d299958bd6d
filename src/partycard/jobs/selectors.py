"""Reads of the job framework: a job's result file, for the one person who may download it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Sum

from partycard.jobs.kinds import file_in_scope
from partycard.jobs.models import Job, JobFile

__all__ = ["job_file_get", "job_file_of", "job_stats"]


def job_file_get(actor: Any, *, job_id: int, at: dt.datetime) -> JobFile | None:
    """The result file of job ``job_id`` if ``actor`` may download it at ``at``; None otherwise.

    Only the job's starter, only before the file expires (whether or not the sweep has run), and only while
    the subtree the file holds is still in their scope for the action it was made under: the scope is
    checked at each download, so an officer moved to another committee, or whose role changed, no longer
    gets a file made while they were in charge. The record the file is about is checked where it is now
    (``kinds.file_in_scope``): an organisation moved out of their subtree since takes its file with it.
    The caller answers None with the same 404 as a missing job.
    """
    if getattr(actor, "pk", None) is None:
        return None
    file = (
        JobFile.objects.filter(
            job_id=job_id,
            job__actor_id=actor.pk,
            job__status=Job.Status.DONE,
            deleted_at__isnull=True,
            expires_at__gt=at,
        )
        .select_related("job")
        .first()
    )
    if file is None or not JobFile.objects.scoped(actor, file.action).filter(pk=file.pk).exists():
        return None
    if not file_in_scope(actor, file.job, file.action):
        return None
    return file


def job_file_of(viewer: Any, job: Job, *, at: dt.datetime) -> JobFile | None:
    """What the job page offers ``viewer`` to download: the same rule as ``job_file_get``."""
    return job_file_get(viewer, job_id=job.pk, at=at)


def job_stats() -> list[dict[str, Any]]:
    """Every job counted by (kind, status), with the sums of their items, succeeded and failed: one
    aggregated query, for the metrics (``jobs.metrics``). Machine figures of no one's scope: ids and
    counts only, never a target or a message."""
    rows = (
        Job.objects.order_by()
        .values("kind", "status")
        .annotate(jobs=Count("id"), items=Sum("total"), succeeded=Sum("succeeded"), failed=Sum("failed"))
    )
    return list(rows)
