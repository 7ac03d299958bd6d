"""The exchange's background jobs: whole-subtree eligibility, and bulk transitions (proposals included).

Both are deterministic in their chunks: evaluation by member-id ranges fixed when the job is made, bulk
transitions by slices of the target list stored in the job. The job runner (``jobs.runner.job_run``)
makes each chunk commit once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partycard.accounts.roles import Action
from partycard.exchange.models import Campaign, Case
from partycard.exchange.wording import transition_label
from partycard.exchange.workflow import Level, Transition
from partycard.jobs.kinds import JobPage
from partycard.jobs.models import Job
from partycard.jobs.services import ChunkResult, job_create, register
from partycard.registry.models import Member

__all__ = [
    "EVALUATE",
    "MAX_BULK",
    "TRANSITION",
    "exchange_job_page",
    "register_kinds",
    "start_evaluation",
    "start_transition",
]

EVALUATE = "exchange.evaluate"
TRANSITION = "exchange.transition"
# Targets of one bulk transition: the ids are stored in the job; a larger batch is split by organisation.
MAX_BULK = 50_000


def _size(job: Job) -> int:
    return int(job.params.get("chunk") or settings.PARTYCARD["JOB_CHUNK_SIZE"])


class Evaluate:
    """Evaluate every member under ``path`` (all of them at the Centre) for a campaign."""

    def chunk_count(self, job: Job) -> int:
        lo, hi = job.params["min_id"], job.params["max_id"]
        return 0 if lo is None else math.ceil((hi - lo + 1) / _size(job))

    def total(self, job: Job) -> int:
        return int(job.params["count"])

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        from partycard.exchange.services.evaluation import evaluate_members

        lo = job.params["min_id"] + index * _size(job)
        where: dict[str, Any] = {"pk__gte": lo, "pk__lt": lo + _size(job)}
        if job.params["path"]:
            where["organisation__path__startswith"] = job.params["path"]
        campaign = Campaign.objects.get(pk=job.params["campaign"])
        return ChunkResult(succeeded=len(evaluate_members(campaign, **where)))


class BulkTransition:
    """One transition over a fixed list of cases (or, to propose, members), by the job's actor."""

    def chunk_count(self, job: Job) -> int:
        return math.ceil(len(job.params["targets"]) / _size(job))

    def total(self, job: Job) -> int:
        return len(job.params["targets"])

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        from partycard.exchange.services.cases import cases_propose, cases_transition

        size = _size(job)
        targets = job.params["targets"][index * size : (index + 1) * size]
        actor = job.actor
        transition = Transition(job.params["transition"])
        if transition is Transition.PROPOSE:
            campaign = Campaign.objects.get(pk=job.params["campaign"])
            outcome = cases_propose(actor=actor, campaign=campaign, member_ids=targets, job_id=job.pk)
        else:
            return_to = job.params.get("return_to")
            outcome = cases_transition(
                actor=actor,
                transition=transition,
                case_ids=targets,
                reason=job.params.get("reason", ""),
                return_to=Level(return_to) if return_to else None,
                job_id=job.pk,
            )
        return ChunkResult(succeeded=len(outcome.succeeded), failures=outcome.failures)


def exchange_job_page(viewer: Any, job: Job, target_ids: Sequence[int]) -> JobPage:
    """The job page of an exchange job: a bulk transition's name and reason, and each failed target (a case,
    or a member to propose) named and linked when it is in the viewer's scope."""
    back = reverse("exchange:queue")
    if job.kind != TRANSITION:
        return JobPage(back_url=back)
    transition = Transition(job.params["transition"])
    if transition is Transition.PROPOSE:  # the targets are members
        members = Member.objects.scoped(viewer, Action.VIEW_MEMBER).filter(pk__in=target_ids)
        names = dict(members.values_list("pk", "full_name"))
        view = "registry:member_detail"
    else:  # the targets are cases
        cases = Case.objects.scoped(viewer, Action.VIEW_CASE).filter(pk__in=target_ids)
        names = dict(cases.values_list("pk", "member__full_name"))
        view = "exchange:case_detail"
    return JobPage(
        title=transition_label(transition),
        reason=job.params.get("reason", ""),
        back_url=back,
        target_view=view,
        target_names=names,
    )


def register_kinds() -> None:
    """Called from ``ExchangeConfig.ready``."""
    register(EVALUATE, Evaluate(), label=_("Eligibility check of every member"), page=exchange_job_page)
    register(TRANSITION, BulkTransition(), label=_("Exchange cases in bulk"), page=exchange_job_page)


def _enqueue(job: Job, enqueue: bool) -> Job:
    if enqueue:
        from partycard.jobs.tasks import job_enqueue

        transaction.on_commit(lambda: job_enqueue(job.pk))
    return job


@transaction.atomic
def start_evaluation(
    *, actor: Any, campaign: Campaign, path: str = "", chunk: int | None = None, enqueue: bool = True
) -> Job:
    """A job evaluating every member under ``path`` ("" = the whole country) for ``campaign``."""
    members = Member.objects.filter(organisation__path__startswith=path) if path else Member.objects.all()
    bounds = members.aggregate(lo=Min("pk"), hi=Max("pk"))
    params = {
        "campaign": campaign.pk,
        "path": path,
        "min_id": bounds["lo"],
        "max_id": bounds["hi"],
        "count": members.count(),
        "chunk": chunk or settings.PARTYCARD["JOB_CHUNK_SIZE"] * 5,
    }
    return _enqueue(job_create(actor=actor, kind=EVALUATE, params=params), enqueue)


@transaction.atomic
def start_transition(
    *,
    actor: Any,
    transition: Transition,
    targets: list[int],
    reason: str = "",
    return_to: Level | None = None,
    campaign: Campaign | None = None,
    chunk: int | None = None,
    enqueue: bool = True,
) -> Job:
    """A job making ``transition`` on every target (case ids; member ids to propose)."""
    if len(targets) > MAX_BULK:
        raise ValueError(f"at most {MAX_BULK} targets in one job, not {len(targets)}")
    params: dict[str, Any] = {
        "transition": transition.value,
        "targets": sorted(set(targets)),
        "reason": reason,
        "return_to": return_to.value if return_to else None,
        "campaign": campaign.pk if campaign else None,
    }
    if chunk:
        params["chunk"] = chunk
    return _enqueue(job_create(actor=actor, kind=TRANSITION, params=params), enqueue)
