"""``partycard db_worker``: django-tasks-db's worker, plus the job lease sweep (``jobs.sweeper``).

This command overrides django-tasks-db's own (``partycard.jobs`` comes before ``django_tasks_db`` in
INSTALLED_APPS, and Django takes a command from the first app that has it). Options and behaviour are
django-tasks-db's; before its loop starts, the worker queues again every job whose lease ran out (a worker
killed mid-job), and repeats that every ``JOB_SWEEP_SECONDS`` (``--lease-sweep``) while it runs.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django_tasks_db.management.commands.db_worker import Command as WorkerCommand

from partycard.jobs.sweeper import LeaseSweeper, sweep_once

__all__ = ["Command"]


class Command(WorkerCommand):
    help = (
        "Run a database background worker; it also queues again the jobs whose worker was lost "
        "(their lease ran out), on start and periodically."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--lease-sweep",
            type=float,
            default=float(settings.PARTYCARD["JOB_SWEEP_SECONDS"]),
            help="Seconds between two sweeps for jobs whose lease ran out (default: %(default)s; 0: only "
            "on start).",
        )
        # The queue the jobs' tasks go to (settings TASKS_QUEUE), unless told otherwise.
        parser.set_defaults(queue_name=settings.PARTYCARD["TASKS_QUEUE"])

    def handle(self, *args: Any, **options: Any) -> None:
        period = options.pop("lease_sweep")
        sweep_once()
        sweeper = LeaseSweeper(period) if period > 0 else None
        if sweeper is not None:
            sweeper.start()
        try:
            super().handle(*args, **options)
        finally:
            if sweeper is not None:
                sweeper.stop()
