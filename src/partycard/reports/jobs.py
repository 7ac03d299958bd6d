"""The counters' background jobs: ``report verify`` and ``report rebuild`` (nationally, longer than a
request: a minute or more). The command line runs them here with a progress bar; the worker runs them
otherwise.

``verify`` has a chunk per committee directly under the Centre (its subtree recounted and compared) and a
last one for the Centre's own counters, fixed when the job is made: a chunk is the same subtree whenever it
runs, and each difference is a failure of the job (target: the organisation). ``rebuild`` is one chunk:
the correction of every counter is one transaction (``services.tallies_rebuild``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from partycard.jobs.kinds import ChunkResult, Failure
from partycard.jobs.models import Job
from partycard.jobs.services import job_create, register
from partycard.registry.models import Organisation
from partycard.reports.recount import Difference, differences
from partycard.reports.services import require_whole_tree

__all__ = ["REBUILD", "VERIFY", "difference_failure", "register_kinds", "start_rebuild", "start_verify"]

VERIFY = "reports.verify"
REBUILD = "reports.rebuild"
LISTED = 1000  # differences listed per chunk (all are counted)


def difference_failure(d: Difference) -> Failure:
    """A difference as a job failure, in Vietnamese and English, naming the organisation, the counter,
    the count from scratch and the one kept."""
    en = (
        f"{d.code} {d.key}{f' (campaign {d.campaign_id})' if d.campaign_id else ''}"
        f"{' daily sum' if d.daily else ''}: expected {d.expected}, found {d.found}"
    )
    with override("vi"):
        what = _("sum of the daily changes") if d.daily else _("counter")
        vi = _("%(code)s, %(what)s %(key)s: recounted %(expected)s, recorded %(found)s") % {
            "code": d.code,
            "what": what,
            "key": d.key + (f" ({d.campaign_id})" if d.campaign_id else ""),
            "expected": d.expected,
            "found": d.found,
        }
    return Failure(d.organisation_id, vi, en)


class Verify:
    def chunk_count(self, job: Job) -> int:
        return len(job.params["roots"]) + (1 if job.params["centre"] else 0)

    def total(self, job: Job) -> int:
        return self.chunk_count(job)

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        roots = job.params["roots"]
        if index < len(roots):
            _id, path = roots[index]
            count, listed = differences(path=path, limit=LISTED)
        else:
            centre_id, path = job.params["centre"]
            count, listed = differences(path=path, only=centre_id, limit=LISTED)
        failures = [difference_failure(d) for d in listed]
        if count > len(listed):
            more = count - len(listed)
            with override("vi"):
                vi = _("… and %(count)s more differences in %(path)s") % {"count": more, "path": path}
            failures.append(
                Failure(listed[-1].organisation_id, vi, f"… and {more} more differences in {path}")
            )
        return ChunkResult(succeeded=0 if count else 1, failures=failures)


class Rebuild:
    def chunk_count(self, job: Job) -> int:
        return 1

    def total(self, job: Job) -> int:
        return 1

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        from partycard.reports.services import tallies_rebuild

        day = dt.date.fromisoformat(job.params["day"]) if job.params.get("day") else None
        done = tallies_rebuild(actor=job.actor, day=day)
        job.params["result"] = {"counters": done.counters, "daily": done.daily, "day": done.day.isoformat()}
        Job.objects.filter(pk=job.pk).update(params=job.params)
        return ChunkResult(succeeded=1)


def register_kinds() -> None:
    """Called from ``ReportsConfig.ready``."""
    register(VERIFY, Verify(), label=gettext_lazy("Check of the progress counters"))
    register(REBUILD, Rebuild(), label=gettext_lazy("Recount of the progress counters"))


def _enqueue(job: Job, enqueue: bool) -> Job:
    if enqueue:
        from partycard.jobs.tasks import run_job

        transaction.on_commit(lambda: run_job.enqueue(job.pk))
    return job


@transaction.atomic
def start_verify(*, actor: Any, enqueue: bool = True) -> Job:
    """A job comparing every counter (and every sum of daily deltas) with a recount from scratch.

    Raises:
        OutOfScope: the actor does not hold the whole tree.
    """
    require_whole_tree(actor)
    centre = Organisation.objects.filter(parent__isnull=True).order_by("code").first()
    roots = (
        list(Organisation.objects.filter(parent=centre).order_by("code").values_list("pk", "path"))
        if centre
        else []
    )
    params = {"roots": [list(r) for r in roots], "centre": [centre.pk, centre.path] if centre else None}
    return _enqueue(job_create(actor=actor, kind=VERIFY, params=params), enqueue)


@transaction.atomic
def start_rebuild(*, actor: Any, day: dt.date | None = None, enqueue: bool = True) -> Job:
    """A job recounting every counter and correcting those that differ (``services.tallies_rebuild``).

    Raises:
        OutOfScope: the actor does not hold the whole tree.
    """
    require_whole_tree(actor)
    params = {"day": day.isoformat() if day else None}
    return _enqueue(job_create(actor=actor, kind=REBUILD, params=params), enqueue)
