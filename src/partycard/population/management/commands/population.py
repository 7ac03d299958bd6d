"""``partycard population check | standin-data | standin``: the cross-check with the national population
database from the operator's shell (docs/population.md).

- ``check [--root CODE] [--as USERNAME] [--queue] [--no-progress]``: start a check of an organisation's
  subtree (default the Centre: the whole country) and run it here with a progress bar (``--queue``: leave it
  to the worker). Without ``--as`` the system runs it; with it, that officer, within their scope.
  Resume a killed one with ``partycard job run ID``.
- ``standin-data OUT.sqlite [--differences PROFILE] [--root CODE]``: the stand-in's data file from the
  members, with the profile's share of differences.
- ``standin [--data FILE] [--port P] [--rate R] [--differences PROFILE] [--timeout-share S]
  [--error-share S]``: build the data (unless ``--data`` is given) and serve the stand-in in this process,
  for ``make run``'s demo.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.accounts.roles import Action
from partycard.core.errors import DomainError
from partycard.jobs.management.commands.job import run_with_bar
from partycard.nationalid.standin import PROFILES
from partycard.population.models import CheckRun
from partycard.population.services import check_start
from partycard.population.standin_data import standin_data_write
from partycard.registry.models import Organisation

__all__ = ["Command"]


class Command(BaseCommand):
    help = "Cross-check members with the national population database; build and serve its stand-in."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="check an organisation's subtree (default: the whole country)")
        check.add_argument("--root", default="", help="organisation code (default: the root of the tree)")
        check.add_argument("--as", dest="as_user", metavar="USERNAME", help="as this officer, in their scope")
        check.add_argument("--queue", action="store_true", help="leave the job to the worker")
        check.add_argument("--no-progress", action="store_true")
        data = sub.add_parser("standin-data", help="the stand-in's data file, from the members")
        data.add_argument("output", type=Path)
        data.add_argument("--differences", default="realistic", choices=sorted(PROFILES))
        data.add_argument("--root", default="", help="only this organisation's subtree")
        serve = sub.add_parser("standin", help="build the data and serve the stand-in here")
        serve.add_argument("--data", type=Path, default=None, help="an existing data file (default: build)")
        serve.add_argument("--differences", default="test", choices=sorted(PROFILES))
        serve.add_argument("--host", default="127.0.0.1")
        serve.add_argument("--port", type=int, default=8790)
        serve.add_argument("--rate", type=float, default=10_000.0, help="records per second")
        serve.add_argument("--timeout-share", type=float, default=0.0)
        serve.add_argument("--error-share", type=float, default=0.0)
        serve.add_argument("--token", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"].replace("-", "_"))(options)

    def _root(self, code: str, actor: Any) -> Organisation:
        orgs = Organisation.objects.all()
        if actor is not None:
            orgs = Organisation.objects.scoped(actor, Action.RUN_POPULATION_CHECK)
        org = (
            orgs.filter(code=code).first()
            if code
            else orgs.filter(parent__isnull=True).order_by("pk").first()
        )
        if org is None:
            raise CommandError(f"no organisation has code '{code}'" if code else "the tree is empty")
        return org

    def _check(self, options: dict[str, Any]) -> None:
        actor = _acting(options["as_user"])
        root = self._root(options["root"], actor)
        started = time.monotonic()
        try:
            run = check_start(actor=actor, root=root, enqueue=options["queue"])
        except DomainError as e:
            raise CommandError(e.message) from e
        job = run.job
        assert job is not None
        self.stderr.write(f"Check #{run.pk} of {root.code}: {run.members} members, job #{job.pk}.")
        if options["queue"]:
            return
        job = run_with_bar(job, stderr=self.stderr, progress=not options["no_progress"])
        elapsed = time.monotonic() - started
        run = CheckRun.objects.get(pk=run.pk)
        rate = float(settings.PARTYCARD["POPULATION_API"]["rate"])
        asked = run.checked - run.no_citizen_id
        self.stdout.write(
            self.style.SUCCESS(
                f"Check #{run.pk} done in {elapsed:.1f} s: {run.checked} checked, {run.agreed} agree, "
                f"{run.differed} differ, {run.no_citizen_id} without citizen ID; "
                f"{asked / elapsed if elapsed else 0:.0f} asked/s; "
                f"time / (asked / rate) = {elapsed / (asked / rate) if asked else 0:.2f}."
            )
        )

    def _standin_data(self, options: dict[str, Any]) -> None:
        root = self._root(options["root"], None) if options["root"] else None
        n = standin_data_write(options["output"], profile=options["differences"], root=root)
        self.stdout.write(self.style.SUCCESS(f"Wrote {n} people to {options['output']}."))

    def _standin(self, options: dict[str, Any]) -> None:
        data: Path | None = options["data"]
        if data is None:
            data = Path(settings.VAR_DIR) / "population-standin.sqlite"
            data.parent.mkdir(parents=True, exist_ok=True)
            n = standin_data_write(data, profile=options["differences"])
            self.stderr.write(f"Wrote {n} people to {data}.")
        argv = [
            sys.executable, "-m", "partycard.nationalid.standin", "--data", str(data),
            "--host", options["host"], "--port", str(options["port"]), "--rate", str(options["rate"]),
            "--timeout-share", str(options["timeout_share"]), "--error-share", str(options["error_share"]),
        ]  # fmt: skip
        if options["token"]:
            argv += ["--token", options["token"]]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - this process becomes the stand-in


def _acting(username: str | None) -> Any:
    """The active officer named by ``--as`` (None: the system)."""
    if username is None:
        return None
    from partycard.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).select_related("organisation").first()
    if user is None:
        raise CommandError(f"{username} may not run a population check.")
    return user
