"""``partycard distribution send|receive|register|destroy``: distribution from the shell, thin over the
services, each bulk step a job run here with a progress bar (``--no-wait``: on the worker).

An officer's step is taken as that officer (``--as USERNAME``: their scope and level, as on the pages);
the register may also be made by the operator (no ``--as``). Dates are dd/mm/yyyy.

    partycard distribution send --as tw [--from CODE] [--chunk N]
    partycard distribution receive CODE --counted N [--missing NUM,…] [--extra NUM,…] --as hn
    partycard distribution register COMMITTEE_CODE [--out DIR] [--as USERNAME]
    partycard distribution destroy COMMITTEE_CODE --date 10/09/2026 --council "…" --as bd
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.core.errors import DomainError
from partycard.distribution import services, storage
from partycard.distribution.forms import numbers
from partycard.distribution.models import DestructionRecord, IssuanceRegister, Shipment
from partycard.jobs.management.commands.job import run_with_bar
from partycard.jobs.models import Job
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation


class Command(BaseCommand):
    help = (
        "Card distribution: send shipments, receive one, make the issuance register, destroy recovered cards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser(
            "send", help="send the cards an organisation holds down, one shipment per destination"
        )
        send.add_argument(
            "--from", dest="from_code", default="", help="the sending organisation (default: yours)"
        )
        receive = sub.add_parser("receive", help="receive a shipment by its code")
        receive.add_argument("code")
        receive.add_argument("--counted", type=int, required=True, help="cards counted in the parcel")
        receive.add_argument("--missing", default="", help="numbers of missing cards, comma-separated")
        receive.add_argument("--extra", default="", help="numbers of cards found but not on the shipment")
        register = sub.add_parser(
            "register", help="the card issuance register of a committee (PDF and .xlsx)"
        )
        register.add_argument("committee")
        register.add_argument("--out", default="", help="also copy the files into this directory")
        destroy = sub.add_parser("destroy", help="destroy the recovered cards and write the minutes")
        destroy.add_argument("committee")
        destroy.add_argument("--date", required=True, help="dd/mm/yyyy")
        destroy.add_argument("--council", required=True, help="the destruction council, one member per line")
        for p in (send, receive, register, destroy):
            p.add_argument("--as", dest="username", default="", help="act as this officer")
            p.add_argument("--chunk", type=int, default=None, help="cards per chunk (one transaction)")
            p.add_argument("--no-wait", action="store_true", help="enqueue the job for the worker")
            p.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["username"])
        try:
            getattr(self, f"_{options['action']}")(actor, options)
        except DomainError as e:
            raise CommandError(e.message) from e

    def _actor(self, username: str) -> Any:
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {username!r}")
        return user

    def _org(self, code: str) -> Organisation:
        org = Organisation.objects.filter(code=code.strip().upper()).first()
        if org is None:
            raise CommandError(f"no organisation has code {code!r}")
        return org

    def _job(self, pk: int | None) -> Job | None:
        return Job.objects.filter(pk=pk).first() if pk is not None else None

    def _finish(self, job: Job | None, options: dict[str, Any]) -> None:
        if job is None:
            return
        if options["no_wait"]:
            from partycard.jobs.tasks import job_enqueue

            job_enqueue(job.pk)
            self.stdout.write(f"Job #{job.pk} enqueued. Follow it with: partycard job show {job.pk}")
            return
        job = run_with_bar(job, stderr=self.stderr, progress=not options["no_progress"])
        if job.status != Job.Status.DONE:
            raise CommandError(f"job #{job.pk} is not finished; run: partycard job run {job.pk}")
        if job.failed:
            self.stderr.write(f"{job.failed} cards refused: partycard job show {job.pk}")

    def _send(self, actor: Any, options: dict[str, Any]) -> None:
        if actor is None:
            raise CommandError(
                "--as USERNAME: cards are sent by the officer of the organisation holding them"
            )
        org: Organisation | None
        if options["from_code"]:
            org = self._org(options["from_code"])
        else:
            org = actor.organisation or Organisation.objects.filter(level=OrgLevel.CENTRE).first()
            if org is None:
                raise CommandError("--from CODE: the sending organisation")
        outcome = services.shipments_send(actor=actor, from_org=org, chunk=options["chunk"], defer=True)
        self._finish(outcome.job, options)
        for s in outcome.shipments:
            s.refresh_from_db()
            self.stdout.write(f"{s.code}\t{s.to_org.code}\t{s.count_sent} cards\t{s.get_state_display()}")
        if outcome.off_route:
            self.stderr.write(f"{len(outcome.off_route)} cards are off their member's way: re-route them")

    def _receive(self, actor: Any, options: dict[str, Any]) -> None:
        if actor is None:
            raise CommandError("--as USERNAME: a shipment is received by the officer it was sent to")
        shipment = services.shipment_receive(
            actor=actor,
            code=options["code"],
            counted=options["counted"],
            missing_numbers=numbers(options["missing"]),
            extra_numbers=numbers(options["extra"]),
            chunk=options["chunk"],
            defer=True,
        )
        self._finish(self._job(shipment.job_id), options)
        shipment = Shipment.objects.get(pk=shipment.pk)
        for incident in shipment.incidents.all():
            self.stderr.write(f"incident: {incident.kind} {incident.expected or ''} {incident.counted or ''} "
                              f"{' '.join(incident.numbers)}")  # fmt: skip
        self.stdout.write(f"{shipment.code}: {shipment.count_received} of {shipment.count_sent} received")

    def _register(self, actor: Any, options: dict[str, Any]) -> None:
        register = services.register_start(actor=actor, committee=self._org(options["committee"]), defer=True)
        self._finish(self._job(register.job_id), options)
        register = IssuanceRegister.objects.get(pk=register.pk)
        self.stdout.write(f"register #{register.pk}: {register.rows} cards")
        if options["out"] and register.pdf_sha256:
            out = Path(options["out"])
            out.mkdir(parents=True, exist_ok=True)
            for name, digest, suffix in (
                (register.pdf_file, register.pdf_sha256, "pdf"),
                (register.xlsx_file, register.xlsx_sha256, "xlsx"),
            ):
                content = storage.file_read(name, digest)
                if content is None:
                    raise CommandError(f"{name} is missing or changed on disk")
                (out / f"so-phat-the-{register.pk}.{suffix}").write_bytes(content)

    def _destroy(self, actor: Any, options: dict[str, Any]) -> None:
        if actor is None:
            raise CommandError("--as USERNAME: cards are destroyed by the deciding committee's officer")
        try:
            day = dt.datetime.strptime(options["date"], "%d/%m/%Y").date()
        except ValueError as e:
            raise CommandError("--date is dd/mm/yyyy") from e
        record = services.destruction_start(
            actor=actor,
            committee=self._org(options["committee"]),
            destroyed_on=day,
            council=options["council"],
            chunk=options["chunk"],
            defer=True,
        )
        self._finish(self._job(record.job_id), options)
        record = DestructionRecord.objects.get(pk=record.pk)
        self.stdout.write(f"minutes #{record.pk}: {record.count} cards destroyed, sha256 {record.sha256}")
