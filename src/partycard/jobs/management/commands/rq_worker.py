"""``partycard rq_worker``: an RQ worker for the jobs' tasks on Redis, plus the job lease sweep.

With ``PARTYCARD_TASKS_BACKEND=rq`` the web app enqueues ``run_job`` on Redis (django-tasks-rq) and this
command runs it; start as many as wanted, on as many hosts (docs/operations.md, "Tasks on a broker"). RQ
hands each task to one worker; the job's lease in the database (``jobs/runner.py``) is what keeps two
runners off one chunk, so several workers are safe whatever the broker does. Like ``db_worker``, it sweeps
(``jobs.sweeper``) on start and every ``JOB_SWEEP_SECONDS``: jobs whose worker died are queued again, and
queued jobs whose task Redis lost are sent again.

Tasks run in the worker's own process (RQ's ``SimpleWorker``): the job's runner, its lease heartbeat and
the sweep live and die together, as with ``db_worker`` (RQ's forking ``Worker`` would leave the job running
in a child of its own process group after a ``kill -9`` of the worker). RQ's worker quits when Redis fails
outside its wait for a task (it retries only there); this command then starts a new one with back-off, so
a Redis restart needs no hand. SIGTERM or SIGINT stops it after the task in hand (a second one: at once,
the job's lease is given up and the sweep hands the job on).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from partycard.jobs.sweeper import LeaseSweeper, sweep_once

__all__ = ["Command"]

logger = logging.getLogger(__name__)

JOB_CLASS = "django_tasks_rq.backend.Job"  # runs a django-tasks Task (django-tasks-rq's README)


class Command(BaseCommand):
    help = (
        "Run an RQ worker for the background jobs (PARTYCARD_TASKS_BACKEND=rq); it reconnects to Redis by "
        "itself and sweeps for jobs whose worker or task was lost, on start and periodically."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--queue",
            default=settings.PARTYCARD["TASKS_QUEUE"],
            help="The queue to work on (default: PARTYCARD_TASKS_QUEUE, %(default)s).",
        )
        parser.add_argument(
            "--name", default=None, help="The worker's name in Redis (default: a random one)."
        )
        parser.add_argument(
            "--worker-class",
            default="rq.worker.SimpleWorker",
            help="RQ's worker class (default: %(default)s, the task runs in this process).",
        )
        parser.add_argument("--burst", action="store_true", help="Quit once the queue is empty.")
        parser.add_argument(
            "--lease-sweep",
            type=float,
            default=float(settings.PARTYCARD["JOB_SWEEP_SECONDS"]),
            help="Seconds between two sweeps for jobs whose worker or task was lost (default: %(default)s; "
            "0: only on start).",
        )
        parser.add_argument(
            "--max-backoff",
            type=float,
            default=30.0,
            help="The longest wait, in seconds, between two attempts to reach Redis (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PARTYCARD["TASKS_BACKEND"] != "rq":
            raise CommandError(
                "PARTYCARD_TASKS_BACKEND is not 'rq': the jobs' tasks are not on Redis "
                "(use 'partycard db_worker')."
            )
        from rq.logutils import setup_loghandlers

        level = {0: "WARNING", 1: "INFO"}.get(options["verbosity"], "DEBUG")
        setup_loghandlers(level)
        sweep_once()
        period = options["lease_sweep"]
        sweeper = LeaseSweeper(period) if period > 0 else None
        if sweeper is not None:
            sweeper.start()
        try:
            self._work(options, level)
        finally:
            if sweeper is not None:
                sweeper.stop()

    def _work(self, options: dict[str, Any], level: str) -> None:
        """RQ's work loop, started again (with back-off) whenever it quits without having been told to."""
        from django_rq.workers import get_worker

        stopping = threading.Event()
        backoff = 1.0
        while True:
            started = time.monotonic()
            worked = False
            worker: Any = None
            try:
                worker = get_worker(  # connects to Redis already
                    options["queue"],
                    job_class=JOB_CLASS,
                    worker_class=options["worker_class"],
                    name=options["name"],
                )
                connections.close_all()  # nothing of the sweep on start carried into the tasks
                worker.work(burst=options["burst"], logging_level=level)
                worked = True
            except Exception as e:  # Redis refused the worker, its registration, or its bookkeeping of a task
                logger.warning("RQ worker stopped: %s: %s", type(e).__name__, e)
            if getattr(worker, "_shutdown_requested_date", None) is not None or (worked and options["burst"]):
                return  # SIGTERM or SIGINT (RQ's own handlers), or a burst that emptied the queue
            if time.monotonic() - started > 60:
                backoff = 1.0  # it had been working: a new outage starts from a short wait
            logger.warning("RQ worker quit (Redis unreachable?); starting again in %.0f s", backoff)
            if _sleep_unless_stopped(stopping, backoff):
                return
            backoff = min(backoff * 2, float(options["max_backoff"]))


def _sleep_unless_stopped(stopping: threading.Event, seconds: float) -> bool:
    """Wait ``seconds`` between two workers; whether SIGTERM or SIGINT came meanwhile (then: stop)."""

    def stop(signum: int, frame: Any) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return stopping.wait(seconds)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
