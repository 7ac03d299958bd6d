"""Creating, resuming and reclaiming background jobs: the writes of the job framework, each audited.

A kind of job (``kinds.py``) says how many chunks a job has and how to do one; ``runner.job_run`` does the
chunks, each committed once, under a lease (see there); ``tasks.run_job`` is the task the worker runs.
``job_create`` fixes a job's chunks from its parameters; ``job_resume`` asks the worker to finish a job
that stopped; ``jobs_reclaim`` (every worker runs it on start and then periodically: ``partycard
db_worker``) queues again a running job whose lease ran out, so a live worker resumes it from its last
committed chunk. Each user may have ``JOBS_PER_USER`` jobs queued or running at once (``TooManyJobs``
beyond it).

A job may leave one result file (``JobFile``: a roster export) for its starter: ``job_file_record`` records
it as the job's last chunk writes it, ``job_file_download`` audits each download (no content, no names:
the file's size and digest), and ``job_files_expire`` (the same sweep) deletes the files whose time is up
and the scratch of jobs that are over.

``ChunkResult``, ``Failure``, ``Kind``, ``kind_of`` and ``register`` (``kinds.py``) and ``job_run`` and
``runner_id`` (``runner.py``) are re-exported here, where the apps have always found them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.core.scope import scope_path, scope_require
from partycard.jobs import storage
from partycard.jobs.errors import TooManyJobs
from partycard.jobs.kinds import ChunkResult, Failure, Kind, kind_of, register
from partycard.jobs.models import Job, JobFile
from partycard.jobs.runner import job_run, runner_id
from partycard.jobs.tasks import job_enqueue, task_waiting

__all__ = [
    "ChunkResult",
    "Failure",
    "Kind",
    "job_create",
    "job_file_download",
    "job_file_record",
    "job_files_expire",
    "job_resume",
    "job_run",
    "jobs_reclaim",
    "jobs_redeliver",
    "kind_of",
    "register",
    "runner_id",
]

_ACTIVE = (Job.Status.QUEUED, Job.Status.RUNNING)


def _check_bound(actor: Any) -> None:
    """Refuse a new job while ``actor`` has ``JOBS_PER_USER`` queued or running.

    The actor's user row is locked first (PostgreSQL), so two requests of one user racing here are counted
    one after the other; the operator's own jobs (no actor) are not bounded.

    Raises:
        TooManyJobs: the bound is reached.
    """
    if getattr(actor, "pk", None) is None:
        return
    limit = int(settings.PARTYCARD["JOBS_PER_USER"])
    list(get_user_model().objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True))
    if Job.objects.filter(actor_id=actor.pk, status__in=_ACTIVE).count() >= limit:
        raise TooManyJobs(limit)


@transaction.atomic
def job_create(*, actor: Any, kind: str, params: dict[str, Any]) -> Job:
    """Record a job (not started): its chunks are fixed now, from ``params``.

    Raises:
        TooManyJobs: the actor already has ``JOBS_PER_USER`` jobs queued or running.
    """
    _check_bound(actor)
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
    commits once (see the module's docstring). The job must be in the actor's scope, whatever door asks.
    """
    scope_require(actor, Action.VIEW_JOB, job)
    if job.status == Job.Status.DONE:
        raise ValueError("the job is done")
    with transaction.atomic():
        audit_record(actor=actor, action="job.resume", obj=job, changes={"chunks_done": job.chunks_done})
        transaction.on_commit(lambda: job_enqueue(job.pk))


def jobs_reclaim(*, at: dt.datetime) -> list[int]:
    """Queue again every running job whose lease ran out by ``at`` (its runner is gone); their ids.

    Each is put back to "queued" (so that the sweep of another worker does not queue it twice: the update
    is conditional on the lease it saw) with an audit row naming the runner it lost, and enqueued for the
    worker once that commits. The worker resumes it from its last committed chunk.
    """
    stale = Job.objects.filter(status=Job.Status.RUNNING).filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=at)
    )
    reclaimed: list[int] = []
    for pk, owner, expires, chunks_done in stale.values_list(
        "pk", "lease_owner", "lease_expires_at", "chunks_done"
    ).order_by("pk")[:100]:
        with transaction.atomic():
            moved = Job.objects.filter(
                pk=pk, status=Job.Status.RUNNING, lease_owner=owner, lease_expires_at=expires
            ).update(status=Job.Status.QUEUED, lease_owner="", lease_expires_at=None, enqueued_at=at)
            if not moved:
                continue  # another sweep, or its runner, was first
            audit_record(
                actor=None,
                action="job.reclaim",
                obj=Job.objects.get(pk=pk),
                changes={
                    "runner": owner,
                    "lease_expired_at": expires.isoformat() if expires else None,
                    "chunks_done": chunks_done,
                },
            )
            transaction.on_commit(functools.partial(job_enqueue, pk))
        reclaimed.append(pk)
    return reclaimed


def jobs_redeliver(*, at: dt.datetime) -> list[int]:
    """Enqueue again every queued job whose task its broker no longer holds; their ids.

    A job waits in the queue as a task that says only "run job N". The broker may never have taken it
    (Redis was down when the job was made: ``job_enqueue`` left no task) or may have lost it (Redis
    restarted without its data), or the task may have ended without running the job (the database was
    down when the worker took it). Such a job would wait forever: once ``JOB_REDELIVER_SECONDS`` have
    passed since its last enqueue, it is sent again. Each candidate is first stamped with a new enqueue
    time, conditionally on the one seen, so that of several sweeps (several workers, several hosts) one
    sends it; a second task of one job is harmless anyway (``job_run`` leaves a leased or done job alone).

    Raises:
        one of BROKER_ERRORS: the broker cannot say what it holds (the sweep logs it and tries later).
    """
    grace = dt.timedelta(seconds=float(settings.PARTYCARD["JOB_REDELIVER_SECONDS"]))
    waiting = Job.objects.filter(status=Job.Status.QUEUED).filter(
        Q(enqueued_at__lte=at - grace) | Q(enqueued_at__isnull=True, created_at__lte=at - grace)
    )
    sent: list[int] = []
    for pk, task_id, enqueued_at in waiting.values_list("pk", "task_id", "enqueued_at").order_by("pk")[:100]:
        if task_waiting(task_id):
            continue  # still in line, or being run
        if not Job.objects.filter(
            pk=pk, status=Job.Status.QUEUED, task_id=task_id, enqueued_at=enqueued_at
        ).update(enqueued_at=at):
            continue  # another sweep was first, or a worker took the job
        if job_enqueue(pk):
            with transaction.atomic():
                audit_record(
                    actor=None,
                    action="job.redeliver",
                    obj=Job.objects.get(pk=pk),
                    changes={"lost_task": task_id or None},
                )
            sent.append(pk)
    return sent


def _digest(path: Any) -> tuple[int, str]:
    sha, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            sha.update(block)
            size += len(block)
    return size, sha.hexdigest()


def job_file_record(
    *,
    job: Job,
    suffix: str,
    name: str,
    content_type: str,
    path: str,
    action: str,
    rows: int,
    at: dt.datetime,
) -> JobFile:
    """Record the result file the job has just written at ``storage.result_path(job.pk, suffix)``.

    Runs inside the job's last chunk (its transaction): if that chunk rolls back, so does the record, and the
    chunk run again writes the same file name and records it once. ``path`` and ``action`` are what the
    downloader must still have in scope (``selectors.job_file_get``); the file expires
    ``JOB_FILE_TTL_SECONDS`` after ``at``.
    """
    stored = storage.result_path(job.pk, suffix)
    size, sha256 = _digest(stored)
    ttl = dt.timedelta(seconds=float(settings.PARTYCARD["JOB_FILE_TTL_SECONDS"]))
    with transaction.atomic():
        file, _created = JobFile.objects.update_or_create(
            job=job,
            defaults={
                "name": name[:200],
                "content_type": content_type,
                "stored": stored.name,
                "size": size,
                "sha256": sha256,
                "rows": rows,
                "path": path,
                "action": action,
                "created_at": at,
                "expires_at": at + ttl,
                "deleted_at": None,
            },
        )
        file.full_clean()
    return file


def job_file_download(*, actor: Any, file: JobFile, at: dt.datetime) -> Any:
    """Open ``file`` for ``actor`` (the selector has checked who they are and their scope) and audit it.

    The audit row names the job and the file's size and SHA-256, never its content: a download is recorded,
    not what it held. Returns the open binary file; the response closes it.

    Raises:
        FileNotFoundError: the file is gone from the disk (deleted by hand, or the sweep was first).
    """
    handle = open(storage.job_files_dir() / file.stored, "rb")  # noqa: SIM115 - the response closes it
    try:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="job.file_download",
                obj=file,
                changes={"job": file.job_id, "bytes": file.size, "sha256": file.sha256, "at": at.isoformat()},
            )
    except BaseException:
        handle.close()
        raise
    return handle


def job_files_expire(*, at: dt.datetime) -> list[int]:
    """Delete every result file whose expiry has passed by ``at`` (its row stays, marked deleted), and the
    scratch directories of jobs that are done, gone, or failed longer ago than a file lives; the ids of
    the files deleted. Each deletion is audited (the system's)."""
    expired: list[int] = []
    for file in JobFile.objects.filter(deleted_at__isnull=True, expires_at__lte=at).order_by("pk")[:500]:
        with transaction.atomic():
            if not JobFile.objects.filter(pk=file.pk, deleted_at__isnull=True).update(deleted_at=at):
                continue  # another sweep was first
            changes = {"job": file.job_id, "bytes": file.size}
            audit_record(actor=None, action="job.file_expire", obj=file, changes=changes)
            stored = storage.job_files_dir() / file.stored
            transaction.on_commit(functools.partial(stored.unlink, missing_ok=True))
        expired.append(file.pk)
    ttl = dt.timedelta(seconds=float(settings.PARTYCARD["JOB_FILE_TTL_SECONDS"]))
    for scratch in storage.scratch_root().iterdir():
        try:
            job_id = int(scratch.name.removeprefix("job-"))
        except ValueError:  # a request's temporary file (an export sent in the request) left by a crash
            with contextlib.suppress(OSError):
                if scratch.is_file() and scratch.stat().st_mtime <= at.timestamp() - ttl.total_seconds():
                    scratch.unlink()
            continue
        job = Job.objects.filter(pk=job_id).only("status", "created_at", "finished_at").first()
        if (
            job is None
            or job.status == Job.Status.DONE
            or (job.status == Job.Status.FAILED and job.created_at + ttl <= at)
        ):
            storage.scratch_remove(job_id)
    return expired
