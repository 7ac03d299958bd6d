"""``partycard production plan|release|keys|report|export|show``: the Centre's production steps from the
command line, thin over ``production.services``. The CLI acts as the operator (``actor=None``: "system" in
the audit log). Bulk steps run as jobs: here with a progress bar, or with ``--no-wait`` on the worker.

    partycard production plan --layout v2 [--size N] [--province CODE]
    partycard production approve-layout v1           (prints the proof's SHA-256 and approves it)
    partycard production release CODE [--no-wait]    (builds and seals the batch file)
    partycard production export CODE --out DIR       (copies the sealed batch / SOD file for the manufacturer)
    partycard production keys FILE.keys.p7s [--no-wait]   (then signs the SODs)
    partycard production report FILE.report.p7s
    partycard production show [CODE]
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.jobs.management.commands.job import run_with_bar
from partycard.jobs.models import Job
from partycard.production import services
from partycard.production.errors import ProductionError
from partycard.production.models import Batch
from partycard.production.selectors import batch_outcomes
from partycard.production.services.building import batch_file_path
from partycard.production.services.reconciling import MAX_REPORT_BYTES, sod_file_path
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation


class Command(BaseCommand):
    help = "Card production with the manufacturer: plan, release, export, import reports, show."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        plan = sub.add_parser("plan", help="group the accepted cards into batches by province")
        plan.add_argument("--layout", default="v2")  # v2 prints the CAN (issue 18)
        plan.add_argument("--size", type=int, default=None)
        plan.add_argument("--province", default="", help="only this province's code")
        approve = sub.add_parser("approve-layout", help="approve a card layout's proof")
        approve.add_argument("layout")
        for name in ("release", "keys"):
            p = sub.add_parser(name)
            p.add_argument("target", help="the batch code (release) or the key report file (keys)")
            p.add_argument("--no-wait", action="store_true", help="enqueue the job for the worker")
            p.add_argument("--no-progress", action="store_true")
        report = sub.add_parser("report", help="import the production report that closes a batch")
        report.add_argument("target")
        export = sub.add_parser("export", help="copy a batch's sealed files for the manufacturer")
        export.add_argument("target", help="the batch code")
        export.add_argument("--out", required=True)
        show = sub.add_parser("show")
        show.add_argument("target", nargs="?", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except ProductionError as e:
            raise CommandError(
                "\n".join(f"{p.code}: {p.number + ': ' if p.number else ''}{p.message}" for p in e.problems)
            ) from e

    def _batch(self, code: str) -> Batch:
        batch = Batch.objects.filter(code=code).first()
        if batch is None:
            raise CommandError(f"no batch has code '{code}'")
        return batch

    def _run(self, job: Job, options: dict[str, Any]) -> None:
        if options["no_wait"]:
            self.stdout.write(f"Job #{job.pk} enqueued. Follow it with: partycard job show {job.pk}")
            return
        job = run_with_bar(job, stderr=self.stderr, progress=not options["no_progress"])
        if job.status != Job.Status.DONE:
            raise CommandError(f"job #{job.pk} is not finished; run: partycard job run {job.pk}")
        self.stdout.write(f"Job #{job.pk} done: {job.succeeded} cards, {job.failed} left out.")

    def _plan(self, options: dict[str, Any]) -> None:
        province = None
        if options["province"]:
            province = Organisation.objects.filter(
                code=options["province"], level=OrgLevel.CENTRAL_COMMITTEE
            ).first()
            if province is None:
                raise CommandError(f"no committee directly under the Centre has code '{options['province']}'")
        made = services.batches_plan(
            actor=None, layout=options["layout"], size=options["size"], province=province
        )
        for batch in made:
            self.stdout.write(f"{batch.code}\t{batch.card_count}")
        self.stdout.write(f"{len(made)} batches planned.")

    def _approve_layout(self, options: dict[str, Any]) -> None:
        digest = hashlib.sha256(services.layout_proof(options["layout"])).hexdigest()
        services.layout_approve(actor=None, layout=options["layout"], proof_sha256=digest)
        self.stdout.write(f"Layout {options['layout']} approved (proof SHA-256 {digest}).")

    def _release(self, options: dict[str, Any]) -> None:
        job = services.batch_release(
            actor=None, batch=self._batch(options["target"]), enqueue=options["no_wait"]
        )
        self._run(job, options)

    def _read(self, name: str) -> bytes:
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"no such file: {name}")
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise CommandError(f"{name} is too large to be a report")
        return path.read_bytes()

    def _keys(self, options: dict[str, Any]) -> None:
        record = services.keys_import(
            actor=None, data=self._read(options["target"]), enqueue=options["no_wait"]
        )
        self._listed(record.problems)
        assert record.batch is not None
        job = Job.objects.filter(kind="production.sod", params__batch=record.batch.pk).order_by("-pk").first()
        if job is not None:
            self._run(job, options)

    def _report(self, options: dict[str, Any]) -> None:
        record = services.report_import(actor=None, data=self._read(options["target"]))
        self._listed(record.problems)
        assert record.batch is not None
        batch = record.batch
        self.stdout.write(f"{batch.code}: {batch.produced} produced, {batch.spoiled} spoiled.")

    def _listed(self, problems: list[dict[str, str]]) -> None:
        for p in problems:
            self.stderr.write(f"listed: {p['number']}: {p['code']}")

    def _export(self, options: dict[str, Any]) -> None:
        batch = self._batch(options["target"])
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        copied = 0
        for path in (batch_file_path(batch), sod_file_path(batch)):
            if path.exists():
                shutil.copyfile(path, out / path.name)
                self.stdout.write(str(out / path.name))
                copied += 1
        if not copied:
            raise CommandError(f"batch {batch.code} has no sealed file yet (it is {batch.state})")

    def _show(self, options: dict[str, Any]) -> None:
        batches = (
            [self._batch(options["target"])] if options["target"] else list(Batch.objects.order_by("pk"))
        )
        for batch in batches:
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(batch_outcomes(batch).items()))
            self.stdout.write(f"{batch.code}\t{batch.state}\t{batch.card_count} cards\t{outcomes}")
        if not batches:
            self.stdout.write("No batch.")
