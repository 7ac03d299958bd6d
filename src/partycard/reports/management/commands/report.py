"""``partycard report <subcommand>``: the progress reports from the shell, thin over ``reports.selectors``,
``reports.services`` and ``reports.jobs``. Each subcommand adds its parser in ``_add_<name>`` and runs in
``_<name>``.

    partycard report progress --org HN [--date 02/09/2026] [--format xlsx|pdf|json] -o FILE [--as USERNAME]
    partycard report verify [--code ORG] [--no-wait] [--no-progress]   exit 1, every difference named
    partycard report rebuild [--day YYYY-MM-DD] [--no-wait] [--no-progress]

``progress``: the operator acts as the system (the whole tree; "system" in the audit log) unless ``--as``
names an officer, whose scope then applies as on the pages (an organisation outside it: "no such
organisation"). ``verify`` checks the progress counters against a recount from scratch, ``rebuild`` puts
them right; both run as jobs, here with a progress bar (or, with ``--no-wait``, on the worker), as the
operator (``actor=None``: the whole tree).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.core import clock
from partycard.core.errors import DomainError, ErrorCode
from partycard.jobs.management.commands.job import run_with_bar
from partycard.jobs.models import Job, JobFailure
from partycard.registry.models import Organisation
from partycard.reports import documents, jobs, selectors, services
from partycard.reports.formats import vi_date
from partycard.reports.forms import parse_day
from partycard.reports.progress import Progress, Stage

FORMATS = ("xlsx", "pdf", "json")


class Command(BaseCommand):
    help = "Progress reports of the card exchange: a report; verify or rebuild the progress counters."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        self._add_progress(sub)
        self._add_verify(sub)
        self._add_rebuild(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as e:
            raise CommandError(e.message) from e

    def _actor(self, username: str) -> Any:
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {username!r}")
        return user

    # ---- verify, rebuild -----------------------------------------------------------------------------------

    def _add_verify(self, sub: Any) -> None:
        verify = sub.add_parser("verify", help="recount everything and name every counter that differs")
        verify.add_argument("--code", default="", help="only this organisation's subtree")
        self._job_options(verify)

    def _add_rebuild(self, sub: Any) -> None:
        rebuild = sub.add_parser(
            "rebuild", help="recount everything and correct the counters, in one transaction"
        )
        rebuild.add_argument(
            "--day", type=dt.date.fromisoformat, default=None, help="the day of the daily series' corrections"
        )
        self._job_options(rebuild)

    def _job_options(self, p: Any) -> None:
        p.add_argument("--no-wait", action="store_true", help="enqueue the job for the worker")
        p.add_argument("--no-progress", action="store_true")

    def _run(self, job: Job, options: dict[str, Any]) -> Job | None:
        if options["no_wait"]:
            self.stdout.write(f"Job #{job.pk} enqueued. Follow it with: partycard job show {job.pk}")
            return None
        job = run_with_bar(job, stderr=self.stderr, progress=not options["no_progress"])
        if job.status != Job.Status.DONE:
            raise CommandError(f"job #{job.pk} is not finished; run: partycard job run {job.pk}")
        return job

    def _verify(self, options: dict[str, Any]) -> None:
        organisation = None
        if options["code"]:
            organisation = Organisation.objects.filter(code=options["code"].strip().upper()).first()
            if organisation is None:
                raise CommandError(f"no organisation has code '{options['code']}'")
        job = self._run(
            jobs.start_verify(actor=None, organisation=organisation, enqueue=options["no_wait"]), options
        )
        if job is None:
            return
        failures = JobFailure.objects.filter(job=job).order_by("pk").values_list("message_en", flat=True)
        for line in failures:
            self.stdout.write(line)
        if job.failed:
            raise CommandError(
                f"{job.failed} differences listed (job #{job.pk}); fix with: partycard report rebuild"
            )
        self.stdout.write(f"All counters match a recount from scratch ({job.chunk_count} subtrees).")

    def _rebuild(self, options: dict[str, Any]) -> None:
        job = self._run(
            jobs.start_rebuild(actor=None, day=options["day"], enqueue=options["no_wait"]), options
        )
        if job is None:
            return
        result = job.params.get("result", {})
        self.stdout.write(
            f"Rebuilt: {result.get('counters', 0)} counters and {result.get('daily', 0)} daily sums "
            f"corrected (on {result.get('day', '')})."
        )

    # ---- progress --------------------------------------------------------------------------------------

    def _add_progress(self, sub: Any) -> None:
        p = sub.add_parser(
            "progress", help="an organisation's progress (and its children's) as xlsx, PDF or JSON"
        )
        p.add_argument("--org", required=True, help="the organisation's code")
        p.add_argument(
            "--date", default="", help="figures as of the end of this day: dd/mm/yyyy or yyyy-mm-dd"
        )
        p.add_argument("--format", choices=FORMATS, default="json")
        p.add_argument(
            "-o", "--output", required=True, help="the file to write ('-': standard output, JSON only)"
        )
        p.add_argument("--as", dest="username", default="", help="act as this officer (default: the system)")
        p.add_argument("--number", default="", help="the report's number (default: blank, to fill by hand)")

    def _progress(self, options: dict[str, Any]) -> None:
        actor = self._actor(options["username"])
        code = options["org"].strip().upper()
        on = self._day(options["date"])
        fmt = options["format"]
        out = options["output"]
        if out == "-" and fmt != "json":
            raise CommandError("-o -: only JSON goes to standard output")
        try:
            if fmt == "json":
                data = self._json(actor, code, on)
            else:
                facts = selectors.report_letterhead(actor, code=code)
                today = clock.today()
                defaults = documents.letterhead_defaults(**facts)
                head = documents.Letterhead(
                    issuer=defaults["issuer"],
                    upper=defaults["upper"],
                    symbol=defaults["symbol"],
                    number=options["number"],
                    place=defaults["place"],
                    issued_on=today,
                    subject=f"tiến độ đổi thẻ đảng viên đến ngày {vi_date(on or today)}",
                    on_behalf=defaults["on_behalf"],
                    position=defaults["position"],
                    recipients=tuple(defaults["recipients"].splitlines()),
                )
                data = services.progress_export(actor=actor, code=code, fmt=fmt, head=head, on=on).content
        except DomainError as e:
            if e.code == ErrorCode.NOT_FOUND:
                raise CommandError(f"no such organisation: {code}") from e
            raise
        if out == "-":
            self.stdout.write(data.decode())
            return
        Path(out).write_bytes(data)
        self.stderr.write(f"{code}: {fmt} written to {out}")

    def _day(self, text: str) -> dt.date | None:
        if not text:
            return None
        try:
            day = parse_day(text)
        except ValueError as e:
            raise CommandError(f"--date {text!r}: dd/mm/yyyy or yyyy-mm-dd") from e
        if day > clock.today():
            raise CommandError(f"--date {text}: a day to come has no figures yet")
        return day

    def _json(self, actor: Any, code: str, on: dt.date | None) -> bytes:
        org = selectors.progress_get(actor, code=code, on=on)
        children = selectors.progress_children(actor, code=org.code, on=on) if org.has_children else []
        campaign = selectors.campaign_current()
        document = {
            "as_of": (on or clock.today()).isoformat(),
            "campaign": campaign.code if campaign else None,
            "organisation": _progress_json(org),
            "children": [_progress_json(c) for c in children],
        }
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def _progress_json(p: Progress) -> dict[str, Any]:
    """The figures as they are kept (metric values), and the stages reached with their shares."""
    return {
        "code": p.code,
        "name": p.name,
        "level": p.level,
        "members": p.members,
        "counts": dict(sorted(p.counts.items())),
        "not_eligible_by_reason": dict(sorted(p.reasons.items())),
        "stages": {s.value: {"reached": p.reached(s), "share": round(p.share(s), 4)} for s in Stage},
    }
