"""``partycard exchange evaluate --campaign CODE [--path PREFIX] [--chunk N] [--no-wait]``.

Evaluates every member (of a subtree) for a campaign as a chunked job (``exchange.jobs.start_evaluation``):
here, with a progress bar, or, with ``--no-wait``, on the worker (``partycard db_worker``), printing the
job's id for ``partycard job show``. The CLI acts as the operator (``actor=None``: "system" in the audit
log).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.exchange.jobs import start_evaluation
from partycard.exchange.models import Campaign
from partycard.jobs.management.commands.job import run_with_bar
from partycard.jobs.models import Job


class Command(BaseCommand):
    help = "Exchange tools. 'evaluate': check every member's eligibility for a campaign, as a job."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help="evaluate every member (of a subtree) for a campaign")
        evaluate.add_argument("--campaign", required=True, help="the campaign's code")
        evaluate.add_argument(
            "--path", default="", help="only the members under this organisation path (default: everyone)"
        )
        evaluate.add_argument("--chunk", type=int, default=None, help="members per chunk (one transaction)")
        evaluate.add_argument(
            "--no-wait", action="store_true", help="enqueue the job for the worker and print its id"
        )
        evaluate.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _evaluate(self, options: dict[str, Any]) -> None:
        campaign = Campaign.objects.filter(code=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"no campaign has code '{options['campaign']}'")
        chunk = options["chunk"]
        if chunk is not None and chunk < 1:
            raise CommandError("--chunk must be at least 1")
        job = start_evaluation(
            actor=None, campaign=campaign, path=options["path"], chunk=chunk, enqueue=options["no_wait"]
        )
        if options["no_wait"]:
            self.stdout.write(
                f"Job #{job.pk} enqueued: {job.total} members in {job.chunk_count} chunks. "
                f"Follow it with: partycard job show {job.pk}"
            )
            return
        job = run_with_bar(job, stderr=self.stderr, progress=not options["no_progress"])
        if job.status != Job.Status.DONE:
            raise CommandError(f"job #{job.pk} is not finished; run: partycard job run {job.pk}")
        self.stdout.write(
            self.style.SUCCESS(f"Evaluated {job.succeeded} members for {campaign.code} (job #{job.pk}).")
        )
