"""Doing a job's chunks, resumably and exactly once (``job_run``); creating and resuming jobs is
``services.py``'s, enqueueing them ``tasks.py``'s.

``job_run`` does the chunks not done yet, each in its own transaction together with its ``JobChunk`` row
(unique per job and index). So a runner killed half-way leaves whole chunks behind it; the next
``job_run`` of the same job skips them and does the rest; two runners racing on one chunk cannot both
commit it. Kinds (``kinds.py``) must make their chunks deterministic (the same index always covers the
same targets) — they are computed from the job's parameters, fixed when the job is made.

A running job is leased to its runner for ``JOB_LEASE_SECONDS``, renewed in each chunk's transaction and,
while a chunk runs, every third of the lease by a heartbeat thread of the runner (a chunk may outlast the
lease: a roster import is one chunk of two passes over up to 50,000 rows). A worker killed mid-job stops
renewing, its heartbeat with it; once the lease has run out, ``services.jobs_reclaim`` queues the job again
and a live worker resumes it from its last committed chunk. A runner whose lease was taken over cannot
commit another chunk: the renewal is the chunk's last write and rolls the chunk back when the lease is no
longer its own (a fencing token).

A database that goes away mid-chunk (PostgreSQL restarted, a fail-over) rolls the chunk back; the runner
reconnects and does the chunk again, for up to ``JOB_RECONNECT_SECONDS``, unless it finds the chunk's row
(the commit got through before the connection was lost). Only then does it give up, leaving the job to the
sweep once its lease has run out, never marked failed for an outage (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from partycard.core import clock
from partycard.jobs.kinds import Kind, kind_of
from partycard.jobs.models import Job, JobChunk, JobFailure

__all__ = ["DISK_FULL", "ProgressFn", "failure_text", "job_run", "lease_duration", "runner_id"]

#: What a job's ``error`` starts its reason with when a chunk found the disk full (``Job.disk_full``).
DISK_FULL = "disk full"
_DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)

logger = logging.getLogger(__name__)

# The database connection lost (server restarted, network): the statement never ran, or its transaction
# rolled back. Not the chunk's fault.
_CONNECTION_LOST = (OperationalError, InterfaceError)


def lease_duration() -> dt.timedelta:
    return dt.timedelta(seconds=float(settings.PARTYCARD["JOB_LEASE_SECONDS"]))


def runner_id() -> str:
    """Who runs a job, as the operator can find it: host, process id, and a random part (one process may
    run a job twice, one after the other)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


ProgressFn = Callable[[Job], None]


def failure_text(index: int, e: BaseException) -> str:
    """The ``error`` a job that stopped at chunk ``index`` keeps, for the operator (English, no data).

    A full disk (ENOSPC, or a quota: EDQUOT) is named as such, whatever file it hit: the chunk rolled back
    and its file was never renamed into place (``storage.file_write``), so once space is freed, resuming
    the job redoes that chunk and finishes it once.
    """
    if isinstance(e, OSError) and e.errno in _DISK_FULL_ERRNOS:
        code = errno.errorcode.get(e.errno or 0, "ENOSPC")
        return f"chunk {index}: {DISK_FULL} ({code}): no space left for the job's files; free it, then resume"
    return f"chunk {index}: {e}"


class _LeaseLost(Exception):
    """Another runner took this job over (this one was presumed dead): stop, commit nothing more."""


def _lease_take(job: Job, owner: str, *, take_over: bool) -> bool:
    """Lease the job to ``owner`` if it is free (no lease, or one that ran out), or anyway if ``take_over``;
    whether it now holds it. A done job is never taken."""
    now = clock.now()
    jobs = Job.objects.filter(pk=job.pk).exclude(status=Job.Status.DONE)
    if not take_over:
        jobs = jobs.filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
    taken = jobs.update(
        status=Job.Status.RUNNING,
        started_at=Coalesce(F("started_at"), now),
        lease_owner=owner,
        lease_expires_at=now + lease_duration(),
    )
    return taken == 1


def _lease_release(job: Job, owner: str, **changes: Any) -> None:
    """Give the lease up (with ``changes``), if it is still ``owner``'s."""
    Job.objects.filter(pk=job.pk, lease_owner=owner).update(lease_owner="", lease_expires_at=None, **changes)


def job_run(
    job_id: int,
    *,
    progress: ProgressFn | None = None,
    stop_after: int | None = None,
    take_over: bool = False,
) -> Job:
    """Do every chunk of the job not done yet; return the job as it ends.

    ``progress`` is called after each chunk (the CLI's bar). ``stop_after`` stops after that many chunks
    (a deliberate interruption, as a crash would). Safe to call again on a job that was killed.

    A job another runner holds (its lease has not run out) is left to it, and returned as it is, unless
    ``take_over`` (the operator's ``partycard job run``: they say the other runner is gone). Either way a
    chunk commits once; a runner whose job was taken over stops before its next chunk commits.
    """
    job = Job.objects.get(pk=job_id)
    kind = kind_of(job)
    if job.status == Job.Status.DONE:
        return job
    owner = runner_id()
    if not _lease_take(job, owner, take_over=take_over):
        job.refresh_from_db()
        return job
    try:
        finished = _run_chunks(job, kind, owner, progress=progress, stop_after=stop_after)
    except _LeaseLost:
        job.refresh_from_db()
        return job
    except BaseException:
        with contextlib.suppress(DatabaseError):  # the database is gone: the lease runs out instead
            _lease_release(job, owner)  # e.g. a worker told to stop at once: the sweep hands the job on now
        raise
    if finished:
        Job.objects.filter(pk=job.pk, chunks_done=job.chunk_count).update(
            status=Job.Status.DONE, finished_at=clock.now(), error="", lease_owner="", lease_expires_at=None
        )
    _lease_release(job, owner)  # stopped short, or a chunk is another runner's: the sweep sees to it
    job.refresh_from_db()
    return job


def _run_chunks(
    job: Job, kind: Kind, owner: str, *, progress: ProgressFn | None, stop_after: int | None
) -> bool:
    """The chunk loop of ``job_run``: whether it went through every chunk (False: ``stop_after``)."""
    done = set(JobChunk.objects.filter(job=job).values_list("index", flat=True))
    pause = float(settings.PARTYCARD.get("JOB_CHUNK_PAUSE", 0))
    ran = 0
    for index in range(job.chunk_count):
        if index in done:
            continue
        if stop_after is not None and ran >= stop_after:
            return False
        try:
            _run_one_reconnecting(job, kind, index, owner)
        except (_LeaseLost, *_CONNECTION_LOST):
            raise  # a lost lease stops quietly; an outage longer than the retries leaves the job to the sweep
        except Exception as e:
            if isinstance(e, IntegrityError) and JobChunk.objects.filter(job=job, index=index).exists():
                continue  # another runner committed this chunk first: its work stands, ours rolled back
            # Any other error, a constraint the chunk's own work broke included, stops the job.
            _lease_release(job, owner, status=Job.Status.FAILED, error=failure_text(index, e))
            raise
        ran += 1
        if progress is not None:
            job.refresh_from_db()
            progress(job)
        if pause:
            time.sleep(pause)
    return True


def _run_one_reconnecting(job: Job, kind: Kind, index: int, owner: str) -> None:
    """``_run_one``, again after a lost connection (reconnecting, backing off) until it commits, its row is
    found (the commit went through before the connection was lost), or ``JOB_RECONNECT_SECONDS`` pass."""
    deadline = time.monotonic() + float(settings.PARTYCARD.get("JOB_RECONNECT_SECONDS", 60))
    delay = 0.2
    while True:
        try:
            with _heartbeat(job.pk, owner):
                _run_one(job, kind, index, owner)
            return
        except _CONNECTION_LOST as e:
            if time.monotonic() >= deadline:
                raise
            logger.warning(
                "job %s chunk %s: database connection lost (%s), retrying", job.pk, index, type(e).__name__
            )
        while True:
            connection.close()  # a broken connection is not reopened by itself outside a request
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
            try:
                if JobChunk.objects.filter(job=job, index=index).exists():
                    return  # committed before the connection was lost: done once, not again
                break
            except _CONNECTION_LOST:
                if time.monotonic() >= deadline:
                    raise


@contextlib.contextmanager
def _heartbeat(job_id: int, owner: str) -> Iterator[None]:
    """Renew the lease every third of it while one chunk runs, from a thread on its own connection, and
    only while the lease is still ``owner``'s (a runner taken over does not take it back).

    The chunk's transaction has ended (committed or rolled back) when the block exits, so a beat waiting
    on a lock the chunk held is released before the thread is joined. On SQLite a beat may find the
    database locked by the chunk's own writes; the sweep cannot write then either, so the beat is skipped.
    """
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(lease_duration().total_seconds() / 3):
                with contextlib.suppress(DatabaseError):
                    Job.objects.filter(pk=job_id, lease_owner=owner).update(
                        lease_expires_at=clock.now() + lease_duration()
                    )
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@transaction.atomic
def _run_one(job: Job, kind: Kind, index: int, owner: str) -> None:
    result = kind.run_chunk(job, index)
    JobChunk.objects.create(
        job=job, index=index, succeeded=result.succeeded, failed=len(result.failures), done_at=clock.now()
    )
    JobFailure.objects.bulk_create(
        JobFailure(job=job, target_id=f.target_id, message_vi=f.message_vi, message_en=f.message_en)
        for f in result.failures
    )
    # The counters and the renewed lease, only while the lease is still this runner's: otherwise the whole
    # chunk rolls back (the runner that took over does it).
    renewed = Job.objects.filter(pk=job.pk, lease_owner=owner).update(
        chunks_done=F("chunks_done") + 1,
        succeeded=F("succeeded") + result.succeeded,
        failed=F("failed") + len(result.failures),
        lease_expires_at=clock.now() + lease_duration(),
    )
    if not renewed:
        raise _LeaseLost
