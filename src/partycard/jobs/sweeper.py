"""The lease sweep inside every worker: jobs whose runner died are queued again, on start and periodically;
queued jobs whose task the broker lost are sent again (``services.jobs_redeliver``); the same sweep deletes
the jobs' result files past their expiry (``services.job_files_expire``).

django-tasks-db's worker has no hook for periodic work, so the sweep runs in a daemon thread of the worker
process (``partycard db_worker``, ``management/commands/db_worker.py``; ``partycard rq_worker`` likewise),
with its own database connection.
Any number of workers may sweep at once: ``services.jobs_reclaim`` queues a job only through an update
conditional on the lease it saw, so one sweep wins.

The same thread beats the worker's heartbeat (``ops.services.heartbeat_beat``) when it starts and after
each sweep, and removes it when the worker stops: readiness (``/readyz``) knows from it that some worker
is alive, whatever the task backend the worker runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading

from django.conf import settings
from django.db import DatabaseError, connections

from partycard.core import clock
from partycard.jobs.services import job_files_expire, jobs_reclaim, jobs_redeliver
from partycard.jobs.tasks import BROKER_ERRORS
from partycard.ops.services import heartbeat_beat, heartbeat_end

__all__ = ["LeaseSweeper", "sweep_once"]

logger = logging.getLogger(__name__)


def sweep_once() -> list[int]:
    """One sweep now; the ids of the jobs queued again. A busy database (SQLite's lock) is logged and left
    to the next sweep, never raised: the worker goes on running tasks."""
    try:
        reclaimed = jobs_reclaim(at=clock.now())
    except DatabaseError as e:
        logger.warning("job lease sweep failed, retrying at the next one: %s", e)
        return []
    if reclaimed:
        logger.warning("jobs whose worker was lost were queued again: %s", ", ".join(map(str, reclaimed)))
    try:
        redelivered = jobs_redeliver(at=clock.now())
    except BROKER_ERRORS as e:
        logger.warning("job redelivery sweep failed, retrying at the next one: %s", type(e).__name__)
    else:
        if redelivered:
            logger.warning(
                "queued jobs whose task was lost were sent again: %s", ", ".join(map(str, redelivered))
            )
    try:
        expired = job_files_expire(at=clock.now())
    except (DatabaseError, OSError) as e:
        logger.warning("job file sweep failed, retrying at the next one: %s", e)
    else:
        if expired:
            logger.info("expired job files deleted: %s", ", ".join(map(str, expired)))
    return reclaimed


def _backend_name() -> str:
    """The task backend this worker runs, for its heartbeat: "database" (django-tasks-db), "rq", or the
    backend's class path."""
    path = str(settings.TASKS["default"]["BACKEND"])
    if path.startswith("django_tasks_db."):
        return "database"
    return "rq" if "rq" in path.lower() else path[-50:]


class LeaseSweeper:
    """Sweep every ``period`` seconds in a daemon thread until ``stop()``, beating the worker's heartbeat
    on start and after each sweep.

    Args:
        backend: the task backend named in the heartbeat (default: from ``TASKS``).
    """

    def __init__(self, period: float, *, backend: str | None = None) -> None:
        self.period = period
        self.backend = backend or _backend_name()
        self.worker = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="partycard-job-lease-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.period + 5)

    def beat(self) -> None:
        """One heartbeat now; a database error is logged and left to the next beat."""
        try:
            heartbeat_beat(
                worker=self.worker,
                host=socket.gethostname()[:255],
                pid=os.getpid(),
                backend=self.backend,
                at=clock.now(),
                keep=dt.timedelta(seconds=float(settings.PARTYCARD.get("HEARTBEAT_KEEP_SECONDS", 86400))),
            )
        except DatabaseError as e:
            logger.warning("worker heartbeat failed, retrying at the next sweep: %s", type(e).__name__)

    def _loop(self) -> None:
        self._tick(sweep=False)  # the first beat at once: the worker's start sweeps in its own thread
        while not self._stop.wait(self.period):
            self._tick(sweep=True)
        try:
            heartbeat_end(worker=self.worker)
        except DatabaseError as e:
            logger.warning("worker heartbeat not removed at stop: %s", type(e).__name__)
        finally:
            connections.close_all()

    def _tick(self, *, sweep: bool) -> None:
        try:
            if sweep:
                sweep_once()
            self.beat()
        finally:
            connections.close_all()  # this thread's own connections (Django's are per thread)
