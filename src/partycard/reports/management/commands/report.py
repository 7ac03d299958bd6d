"""``partycard report verify|rebuild``: check the progress counters against a recount from scratch, or put
them right. Thin over ``reports.jobs``; both run as jobs, here with a progress bar (or, with
``--no-wait``, on the worker). The CLI acts as the operator (``actor=None``: the whole tree).

    partycard report verify [--code ORG] [--no-wait] [--no-progress]   exit 1, every difference named
    partycard report rebuild [--day YYYY-MM-DD] [--no-wait] [--no-progress]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.jobs.management.commands.job import run_with_bar
from partycard.jobs.models import Job, JobFailure
from partycard.registry.models import Organisation
from partycard.reports import jobs


class Command(BaseCommand):
    help = "Progress counters: verify them against a recount from scratch, or rebuild them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="recount everything and name every counter that differs")
        verify.add_argument("--code", default="", help="only this organisation's subtree")
        rebuild = sub.add_parser(
            "rebuild", help="recount everything and correct the counters, in one transaction"
        )
        rebuild.add_argument(
            "--day", type=dt.date.fromisoformat, default=None, help="the day of the daily series' corrections"
        )
        for p in (verify, rebuild):
            p.add_argument("--no-wait", action="store_true", help="enqueue the job for the worker")
            p.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            organisation = None
            if options["code"]:
                organisation = Organisation.objects.filter(code=options["code"]).first()
                if organisation is None:
                    raise CommandError(f"no organisation has code '{options['code']}'")
            job = jobs.start_verify(actor=None, organisation=organisation, enqueue=options["no_wait"])
        else:
            job = jobs.start_rebuild(actor=None, day=options["day"], enqueue=options["no_wait"])
        if options["no_wait"]:
            self.stdout.write(f"Job #{job.pk} enqueued. Follow it with: partycard job show {job.pk}")
            return
        job = run_with_bar(job, stderr=self.stderr, progress=not options["no_progress"])
        if job.status != Job.Status.DONE:
            raise CommandError(f"job #{job.pk} is not finished; run: partycard job run {job.pk}")
        if options["action"] == "rebuild":
            result = job.params.get("result", {})
            self.stdout.write(
                f"Rebuilt: {result.get('counters', 0)} counters and {result.get('daily', 0)} daily sums "
                f"corrected (on {result.get('day', '')})."
            )
            return
        failures = JobFailure.objects.filter(job=job).order_by("pk").values_list("message_en", flat=True)
        for line in failures:
            self.stdout.write(line)
        if job.failed:
            raise CommandError(
                f"{job.failed} differences listed (job #{job.pk}); fix with: partycard report rebuild"
            )
        self.stdout.write("All counters match a recount from scratch.")
