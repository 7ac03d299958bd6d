"""The whole-country (or a subtree's) cross-check as a resumable job on ``partycard.jobs`` (issue 17).

The members of the root's subtree (probationary and official) are cut into id ranges of
``POPULATION_API["chunk"]`` members when the check starts; the bounds are the job's parameters, so a chunk
always covers the same members. Each chunk (``checking.check_members``) skips members that already have a
result in the run, asks the population database for the rest in batches, and commits its results, tasks
and counters with its ``JobChunk`` row: a worker killed mid-chunk leaves nothing of that chunk, and the
resumed job asks only for what it does not have. The last chunk seals the run (``finished_at``, audit).

When the population database cannot be reached (the client's bounded retries spent), the chunk raises and
the job stops as failed, with the reason on the job page; ``partycard job run ID`` (or the page's resume)
carries on from there once it is back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.scope import OutOfScope, scope_require
from partycard.jobs.kinds import JobPage
from partycard.jobs.models import Job
from partycard.jobs.services import ChunkResult, register
from partycard.population.adapter import population_registry
from partycard.population.checking import check_members
from partycard.population.models import CheckRun
from partycard.registry.choices import ACTIVE_STATUSES
from partycard.registry.models import Member, Organisation

__all__ = ["CHECK", "CheckKind", "check_job_page", "check_members_of", "check_plan", "register_kinds"]

CHECK = "population.check"


def check_members_of(root: Organisation) -> QuerySet[Member]:
    """The members a check of ``root`` covers: the probationary and official members of its subtree."""
    return Member.objects.filter(organisation__path__startswith=root.path, status__in=sorted(ACTIVE_STATUSES))


def check_plan(root: Organisation, *, size: int) -> tuple[int, list[int]]:
    """How many members the check covers, and every ``size``-th member id (the chunks' bounds), numbered by
    the database so that only the bounds travel, not the 5.6 million ids of the country."""
    members = check_members_of(root)
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
    return count, bounds


def _range(members: QuerySet[Member], bounds: Sequence[int], index: int) -> QuerySet[Member]:
    if index > 0:
        members = members.filter(id__gte=bounds[index - 1])
    if index < len(bounds):
        members = members.filter(id__lt=bounds[index])
    return members


class CheckKind:
    """``params``: ``run`` (the CheckRun), ``bounds``, ``members``, ``operator`` (started from the shell
    without ``--as``: the system acts, over the whole tree)."""

    def chunk_count(self, job: Job) -> int:
        return len(job.params["bounds"]) + 2  # the ranges (one more than their bounds), then the seal

    def total(self, job: Job) -> int:
        return int(job.params["members"])

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        run = CheckRun.objects.select_related("root").get(pk=job.params["run"])
        if job.actor is None and not job.params.get("operator"):
            raise OutOfScope("organisation")  # the starter's account is gone: nobody to act for
        scope_require(job.actor, Action.RUN_POPULATION_CHECK, run.root, field="organisation")
        bounds = [int(b) for b in job.params["bounds"]]
        at = clock.now()
        if index == len(bounds) + 1:
            CheckRun.objects.filter(pk=run.pk).update(finished_at=at)
            run.refresh_from_db()
            changes = {
                "members": run.members,
                "checked": run.checked,
                "differ": run.differed,
                "no_citizen_id": run.no_citizen_id,
            }
            audit_record(actor=job.actor, action="population.check_done", obj=run, changes=changes)
            return ChunkResult()
        step = check_members(
            run=run,
            members=_range(check_members_of(run.root), bounds, index),
            registry=population_registry(),
            at=at,
        )
        return ChunkResult(succeeded=step.checked)


def check_job_page(viewer: Any, job: Job, target_ids: Sequence[int]) -> JobPage:
    """The job page of a check: which organisation (if the viewer may see its run), back to the overview."""
    run = (
        CheckRun.objects.scoped(viewer, Action.VIEW_POPULATION_CHECK)
        .select_related("root")
        .filter(pk=job.params.get("run"))
        .first()
    )
    if run is None:
        return JobPage(back_url=reverse("population:home"))
    return JobPage(
        title=_("Population check of %(name)s (%(code)s)") % {"name": run.root.name, "code": run.root.code},
        back_url=reverse("population:run", args=[run.pk]),
    )


def register_kinds() -> None:
    """Called from ``PopulationConfig.ready``."""
    register(CHECK, CheckKind(), label=gettext_lazy("Population database cross-check"), page=check_job_page)


def chunk_size() -> int:
    return int(settings.PARTYCARD["POPULATION_API"]["chunk"])
