"""The lease sweep inside every worker: jobs whose runner died are queued again, on start and periodically;
queued jobs whose task the broker lost are sent again (``services.jobs_redeliver``); the same sweep deletes
the jobs' result files past their expiry (``services.job_files_expire``).

django-tasks-db's worker has no hook for periodic work, so the sweep runs in a daemon thread of the worker
process (``partycard db_worker``, ``management/commands/db_worker.py``; ``partycard rq_worker`` likewise),
with its own database connection.
Any number of workers may sweep at once: ``services.jobs_reclaim`` queues a job only through an update
conditional on the lease it saw, so one sweep wins.
"""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError, connections

from partycard.core import clock
from partycard.jobs.services import job_files_expire, jobs_reclaim, jobs_redeliver
from partycard.jobs.tasks import BROKER_ERRORS

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


class LeaseSweeper:
    """Sweep every ``period`` seconds in a daemon thread until ``stop()``."""

    def __init__(self, period: float) -> None:
        self.period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="partycard-job-lease-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.period + 5)

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            try:
                sweep_once()
            finally:
                connections.close_all()  # this thread's own connections (Django's are per thread)
