"""A background job's page: status, progress, counts and each target that failed, and why.

While the job is queued or running, the progress part asks for itself again every two seconds (htmx);
the answer for a finished job carries no trigger, so the polling stops. Without JavaScript, reloading the
page shows the same. Scoped like every page: a job outside the actor's scope is the same 404.

A job that left a result file (a roster export) offers it for download to its starter only, while the
file lives and its subtree is still in their scope (``selectors.job_file_get``); every download is
audited. Anyone else, an expired file and a missing one all get the same 404.

The page knows no kind of job: what only a kind knows (its label, heading, the names and pages of failed
targets, what follows a finished job) its app registers with ``jobs.kinds.register``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action
from partycard.core import clock
from partycard.core.scope import get_scoped_or_404
from partycard.jobs import selectors, services
from partycard.jobs.kinds import job_page, kind_label
from partycard.jobs.models import Job

__all__ = ["FAILURES_SHOWN", "job_detail", "job_download", "job_progress", "job_resume"]

FAILURES_SHOWN = 500


@dataclass(frozen=True)
class FailureRow:
    target_id: int
    name: str  # the target's name, when it is in the viewer's scope (the kind's page says it)
    message_vi: str


def _context(actor: Any, job: Job) -> dict[str, Any]:
    """The page of any kind of job: the counts are the job's; the rest is its kind's (``kinds.job_page``)."""
    failures = list(job.failures.order_by("target_id", "pk")[:FAILURES_SHOWN])
    page = job_page(actor, job, [f.target_id for f in failures])
    at = clock.now()
    download = selectors.job_file_of(actor, job, at=at)
    made = getattr(job, "result_file", None) if job.status == Job.Status.DONE else None
    rows = [FailureRow(f.target_id, page.target_names.get(f.target_id, ""), f.message_vi) for f in failures]
    return {
        "job": job,
        "page": page,
        "kind_label": kind_label(job.kind),
        "running": job.status in (Job.Status.QUEUED, Job.Status.RUNNING),
        # The task queue refused the job (Redis down): it is recorded and the sweep sends it once the queue
        # is back (services.jobs_redeliver); the officer is told so instead of an error page.
        "undelivered": job.status == Job.Status.QUEUED and not job.task_id and job.enqueued_at is not None,
        "failures": rows,
        "more_failures": max(job.failed - len(failures), 0),
        "back_url": page.back_url or reverse("home"),
        "can_resume": _can_resume(actor, job),
        "download": download,
        # A file was made, but not for this viewer to download (someone else's), or it is gone.
        "file_not_yours": made is not None and download is None and job.actor_id != actor.pk,
        "file_gone": made is not None and download is None and job.actor_id == actor.pk,
    }


def _can_resume(actor: Any, job: Job) -> bool:
    """The starter may resume their job once it stopped short (running with no worker, or failed)."""
    return job.actor_id == actor.pk and job.status in (Job.Status.RUNNING, Job.Status.FAILED)


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_scoped_or_404(Job, request.user, Action.VIEW_JOB, pk=pk)
    return render(request, "jobs/job_detail.html", _context(request.user, job))


@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress part alone (htmx polls it)."""
    job = get_scoped_or_404(Job, request.user, Action.VIEW_JOB, pk=pk)
    return render(request, "jobs/_progress.html", _context(request.user, job))


@login_required
@require_POST
def job_resume(request: HttpRequest, pk: int) -> HttpResponse:
    """Enqueue the job again; the worker does only the chunks not done yet."""
    job = get_scoped_or_404(Job, request.user, Action.VIEW_JOB, pk=pk)
    if not _can_resume(request.user, job):
        raise Http404(_("No such record."))
    services.job_resume(actor=request.user, job=job)
    job.refresh_from_db(fields=["task_id", "enqueued_at"])
    if not job.task_id:  # the broker refused it: nothing is lost, the officer tries again later
        messages.error(
            request, _("The task queue is not answering right now. Continue the job again in a few minutes.")
        )
    else:
        messages.success(request, _("The job will continue where it stopped; finished parts are not redone."))
    return redirect("jobs:job_detail", pk=job.pk)


@login_required
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    """The job's result file, for its starter while it lives and is in their scope; audited."""
    file = selectors.job_file_get(request.user, job_id=pk, at=clock.now())
    if file is None:
        raise Http404(_("No such record."))
    try:
        handle = services.job_file_download(actor=request.user, file=file, at=clock.now())
    except FileNotFoundError as e:
        raise Http404(_("No such record.")) from e
    response = FileResponse(handle, as_attachment=True, filename=file.name, content_type=file.content_type)
    response["Cache-Control"] = "private, no-store"
    return response
