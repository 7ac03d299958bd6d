"""Running long jobs in chunks, resumably and exactly once.

A kind of job registers a :class:`Kind`: how many chunks a job has and how to do one. ``job_run`` does
the chunks not done yet, each in its own transaction together with its ``JobChunk`` row (unique per job
and index). So a runner killed half-way leaves whole chunks behind it; the next ``job_run`` of the same
job skips them and does the rest; two runners racing on one chunk cannot both commit it. Kinds must make
their chunks deterministic (the same index always covers the same targets) — they are computed from the
job's parameters, fixed when the job is made.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.scope import scope_path
from partycard.jobs.models import Job, JobChunk, JobFailure

__all__ = ["ChunkResult", "Failure", "Kind", "job_create", "job_resume", "job_run", "register"]


@dataclass(frozen=True)
class Failure:
    target_id: int
    message_vi: str
    message_en: str


@dataclass
class ChunkResult:
    succeeded: int = 0
    failures: list[Failure] = field(default_factory=list)


class Kind(Protocol):
    def chunk_count(self, job: Job) -> int: ...

    def total(self, job: Job) -> int: ...

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        """Do chunk ``index`` inside the caller's transaction; raise to roll it back."""
        ...


_KINDS: dict[str, Kind] = {}


def register(name: str, kind: Kind) -> None:
    _KINDS[name] = kind


def kind_of(job: Job) -> Kind:
    try:
        return _KINDS[job.kind]
    except KeyError as e:
        raise ValueError(f"unknown job kind {job.kind!r}") from e


@transaction.atomic
def job_create(*, actor: Any, kind: str, params: dict[str, Any]) -> Job:
    """Record a job (not started): its chunks are fixed now, from ``params``."""
    job = Job(kind=kind, params=params, actor=actor if getattr(actor, "pk", None) else None)
    job.path = scope_path(actor) or ""
    k = kind_of(job)
    job.chunk_count, job.total = k.chunk_count(job), k.total(job)
    job.save()
    audit_record(actor=actor, action="job.create", obj=job, changes={"kind": kind, "total": job.total})
    return job


def job_resume(*, actor: Any, job: Job) -> None:
    """Ask the worker to finish a job that stopped (a worker killed mid-job, or a chunk that failed).

    Safe even if a worker is still on it: chunks done are skipped, and a chunk two runners race on
    commits once (see the module's docstring).
    """
    from partycard.jobs.tasks import run_job

    if job.status == Job.Status.DONE:
        raise ValueError("the job is done")
    with transaction.atomic():
        audit_record(actor=actor, action="job.resume", obj=job, changes={"chunks_done": job.chunks_done})
        transaction.on_commit(lambda: run_job.enqueue(job.pk))


ProgressFn = Callable[[Job], None]


def job_run(job_id: int, *, progress: ProgressFn | None = None, stop_after: int | None = None) -> Job:
    """Do every chunk of the job not done yet; return the job as it ends.

    ``progress`` is called after each chunk (the CLI's bar). ``stop_after`` stops after that many chunks
    (a deliberate interruption, as a crash would). Safe to call again on a job that was killed.
    """
    job = Job.objects.get(pk=job_id)
    kind = kind_of(job)
    if job.status == Job.Status.DONE:
        return job
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=job.started_at or clock.now())
    done = set(JobChunk.objects.filter(job=job).values_list("index", flat=True))
    pause = float(settings.PARTYCARD.get("JOB_CHUNK_PAUSE", 0))
    ran = 0
    for index in range(job.chunk_count):
        if index in done:
            continue
        if stop_after is not None and ran >= stop_after:
            job.refresh_from_db()
            return job
        try:
            _run_one(job, kind, index)
        except Exception as e:
            if isinstance(e, IntegrityError) and JobChunk.objects.filter(job=job, index=index).exists():
                continue  # another runner committed this chunk first: its work stands, ours rolled back
            # Any other error, a constraint the chunk's own work broke included, stops the job.
            Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, error=f"chunk {index}: {e}")
            raise
        ran += 1
        if progress is not None:
            job.refresh_from_db()
            progress(job)
        if pause:
            time.sleep(pause)
    Job.objects.filter(pk=job.pk, chunks_done=job.chunk_count).update(
        status=Job.Status.DONE, finished_at=clock.now(), error=""
    )
    job.refresh_from_db()
    return job


@transaction.atomic
def _run_one(job: Job, kind: Kind, index: int) -> None:
    result = kind.run_chunk(job, index)
    JobChunk.objects.create(
        job=job, index=index, succeeded=result.succeeded, failed=len(result.failures), done_at=clock.now()
    )
    JobFailure.objects.bulk_create(
        JobFailure(job=job, target_id=f.target_id, message_vi=f.message_vi, message_en=f.message_en)
        for f in result.failures
    )
    Job.objects.filter(pk=job.pk).update(
        chunks_done=F("chunks_done") + 1,
        succeeded=F("succeeded") + result.succeeded,
        failed=F("failed") + len(result.failures),
    )
