"""A background job's page: status, progress, counts and each target that failed, and why.

While the job is queued or running, the progress part asks for itself again every two seconds (htmx);
the answer for a finished job carries no trigger, so the polling stops. Without JavaScript, reloading the
page shows the same. Scoped like every page: a job outside the actor's scope is the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action
from partycard.core.scope import get_scoped_or_404
from partycard.exchange.models import Case
from partycard.exchange.wording import transition_label
from partycard.exchange.workflow import Transition
from partycard.jobs import services
from partycard.jobs.models import Job
from partycard.registry.jobs import confirmable
from partycard.registry.models import Member

__all__ = ["FAILURES_SHOWN", "job_detail", "job_progress", "job_resume"]

FAILURES_SHOWN = 500
KIND_LABELS = {
    "exchange.transition": _("Exchange cases in bulk"),
    "exchange.evaluate": _("Eligibility check of every member"),
    "registry.import": _("Roster import"),
}


@dataclass(frozen=True)
class FailureRow:
    target_id: int
    name: str  # the member's name, when the target is in the viewer's scope
    message_vi: str


def _failures(actor: Any, job: Job, transition: str | None) -> list[FailureRow]:
    failures = list(job.failures.order_by("target_id", "pk")[:FAILURES_SHOWN])
    ids = [f.target_id for f in failures]
    names: dict[int, str] = {}
    if transition == Transition.PROPOSE:  # the targets are members
        members = Member.objects.scoped(actor, Action.VIEW_MEMBER).filter(pk__in=ids)
        names = dict(members.values_list("pk", "full_name"))
    elif transition:  # the targets are cases
        cases = Case.objects.scoped(actor, Action.VIEW_CASE).filter(pk__in=ids)
        names = dict(cases.values_list("pk", "member__full_name"))
    return [FailureRow(f.target_id, names.get(f.target_id, ""), f.message_vi) for f in failures]


def _context(actor: Any, job: Job) -> dict[str, Any]:
    transition = job.params.get("transition") if job.kind == "exchange.transition" else None
    failures = _failures(actor, job, transition)
    target_view = None  # which page a failed target is
    if transition == Transition.PROPOSE:
        target_view = "registry:member_detail"
    elif transition:
        target_view = "exchange:case_detail"
    return {
        "job": job,
        "kind_label": KIND_LABELS.get(job.kind, job.kind),
        "action_label": transition_label(transition) if transition else "",
        "reason": job.params.get("reason", "") if transition else "",
        "running": job.status in (Job.Status.QUEUED, Job.Status.RUNNING),
        "failures": failures,
        "more_failures": max(job.failed - len(failures), 0),
        "target_view": target_view,
        "back_url": _back_url(job),
        "can_resume": _can_resume(actor, job),
        "import_job": job.kind == "registry.import",
        "import_writes": bool(job.params.get("write")),
        "confirm_import": confirmable(actor, job),
    }


def _back_url(job: Job) -> str:
    if job.kind.startswith("exchange."):
        return reverse("exchange:queue")
    if job.kind.startswith("registry."):
        return reverse("registry:import")
    return reverse("home")


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
    messages.success(request, _("The job will continue where it stopped; finished parts are not redone."))
    return redirect("jobs:job_detail", pk=job.pk)
