"""Routes of the background jobs: a job's progress and counts, and its per-target failures, page by page.

A job is visible, like in the UI, to whoever's subtree holds the subtree of the person who started it
(their committee and those above); anything else is the 404 of a missing job.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from partycard.accounts.roles import Action
from partycard.api.errors import ApiProblem
from partycard.api.schemas.exchange import MAX_ID, FailurePage, FailureQuery, JobOut
from partycard.api.schemas.problems import problems
from partycard.core.errors import ErrorCode
from partycard.core.scope import get_scoped_or_404
from partycard.jobs.models import Job

__all__ = ["FIRST_FAILURES", "job_out", "router"]

router = Router(tags=["jobs"])

FIRST_FAILURES = 100  # failures shown with the job itself; the rest are paged


def _after(cursor: str | None) -> int:
    """The target id a failures cursor continues after (0: from the start)."""
    if cursor is None:
        return 0
    if not cursor.isascii() or not cursor.isdigit():
        raise ApiProblem(400, "Invalid cursor.", code=ErrorCode.BAD_CURSOR)
    return min(int(cursor), MAX_ID)  # after the largest id: the end of the list


def _failures(job: Job, *, after: int, limit: int) -> dict[str, Any]:
    rows = list(job.failures.filter(target_id__gt=after).order_by("target_id")[: limit + 1])
    items = rows[:limit]
    return {"items": items, "next_cursor": str(items[-1].target_id) if len(rows) > limit else None}


def job_out(job: Job) -> dict[str, Any]:
    """The job as ``JobOut`` shows it: its counts and its first failures."""
    fields = ("id", "kind", "status", "total", "succeeded", "failed", "created_at", "started_at")
    return {
        **{name: getattr(job, name) for name in fields},
        "finished_at": job.finished_at,
        "progress": job.percent,
        "failures": _failures(job, after=0, limit=FIRST_FAILURES),
    }


@router.get(
    "/jobs/{job_id}",
    response={200: JobOut, **problems(404, 422)},
    operation_id="job_get",
    url_name="job_get",
    summary="A background job: status, progress, counts and its first failures",
)
def job_get(request: HttpRequest, job_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    job = get_scoped_or_404(Job, request.auth.user, Action.VIEW_JOB, pk=job_id)  # type: ignore[attr-defined]
    return job_out(job)


@router.get(
    "/jobs/{job_id}/failures",
    response={200: FailurePage, **problems(400, 404, 422)},
    operation_id="job_failures",
    summary="A job's failures, by target id (keyset pages)",
)
def job_failures(
    request: HttpRequest, query: Query[FailureQuery], job_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    job = get_scoped_or_404(Job, request.auth.user, Action.VIEW_JOB, pk=job_id)  # type: ignore[attr-defined]
    return _failures(job, after=_after(query.cursor), limit=query.limit)
