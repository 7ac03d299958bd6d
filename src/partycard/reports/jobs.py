"""The counters' background jobs: ``report verify`` and ``report rebuild`` (nationally, longer than a
request: a minute or more). The command line runs them here with a progress bar; the worker runs them
otherwise.

Each is one chunk: ``verify`` recounts in one pass over each table (see :class:`Verify`) and each
difference is a failure of the job (target: the organisation); ``rebuild``'s correction of every counter
is one transaction (``services.tallies_rebuild``). A chunk re-run after a crash does the same again.
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
    """One chunk: the subtree (``path``; "" = the whole tree) recounted in one pass over each table and
    compared. Per committee, the recount would walk the indexes member by member; in one pass it reads
    each table once, in order: nationally several times faster."""

    def chunk_count(self, job: Job) -> int:
        return 1

    def total(self, job: Job) -> int:
        return 1

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        path = job.params.get("path", "")
        count, listed = differences(path=path, limit=LISTED)
        failures = [difference_failure(d) for d in listed]
        if count > len(listed):
            more = count - len(listed)
            with override("vi"):
                vi = _("… and %(count)s more differences in %(path)s") % {"count": more, "path": path or "TW"}
            failures.append(Failure(listed[-1].organisation_id, vi, f"… and {more} more differences"))
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
        from partycard.jobs.tasks import job_enqueue

        transaction.on_commit(lambda: job_enqueue(job.pk))
    return job


@transaction.atomic
def start_verify(*, actor: Any, organisation: Organisation | None = None, enqueue: bool = True) -> Job:
    """A job comparing every counter of ``organisation``'s subtree (None: the whole tree), and every sum
    of daily deltas, with a recount from scratch.

    Raises:
        OutOfScope: the actor does not hold the whole tree.
    """
    require_whole_tree(actor)
    params = {"path": organisation.path if organisation is not None else ""}
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
