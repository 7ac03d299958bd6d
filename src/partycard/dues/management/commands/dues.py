"""``partycard dues close-month --month YYYY-MM``: close a month of party dues from the shell, a job run
here with a progress bar (``--no-wait``: on the worker). Idempotent: closing a month again records no month
twice; a job that stopped is resumed with ``partycard job run ID``.

    partycard dues close-month --month 2026-09 [--as USERNAME] [--organisation CODE] [--chunk N]
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.core.errors import DomainError
from partycard.dues.jobs import month_close_start
from partycard.dues.months import month_parse
from partycard.jobs.management.commands.job import run_with_bar
from partycard.jobs.models import Job
from partycard.registry.models import Organisation


class Command(BaseCommand):
    help = "Party dues: close a month (record the arrears of the members who did not pay)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        close = sub.add_parser("close-month", help="record the month as unpaid for members without a payment")
        close.add_argument("--month", required=True, help="YYYY-MM (a month that has ended)")
        close.add_argument("--organisation", default="", help="only this organisation's subtree")
        close.add_argument("--as", dest="username", default="", help="act as this officer (their scope)")
        close.add_argument("--chunk", type=int, default=None, help="members per chunk (one transaction)")
        close.add_argument("--no-wait", action="store_true", help="enqueue the job for the worker")
        close.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        month = month_parse(options["month"])
        if month is None:
            raise CommandError(f"not a month (YYYY-MM): {options['month']!r}")
        actor = None
        if options["username"]:
            actor = get_user_model().objects.filter(username=options["username"], is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user named {options['username']!r}")
        root = None
        if options["organisation"]:
            root = Organisation.objects.filter(code=options["organisation"].strip().upper()).first()
            if root is None:
                raise CommandError(f"no organisation has code {options['organisation']!r}")
        try:
            job = month_close_start(
                actor=actor, month=month, root=root, chunk=options["chunk"], enqueue=options["no_wait"]
            )
        except DomainError as e:
            raise CommandError(e.message) from e
        if options["no_wait"]:
            self.stdout.write(f"Job #{job.pk} enqueued. Follow it with: partycard job show {job.pk}")
            return
        job = run_with_bar(job, stderr=self.stderr, progress=not options["no_progress"])
        if job.status != Job.Status.DONE:
            raise CommandError(f"job #{job.pk} is not finished; run: partycard job run {job.pk}")
        self.stdout.write(f"{month:%m/%Y}: {job.succeeded} member records changed, {job.failed} refused.")
        if job.failed:
            self.stderr.write(f"{job.failed} member records refused: partycard job show {job.pk}")
