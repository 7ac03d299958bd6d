"""``partycard sync import FILE`` / ``partycard sync export FILE``: the party member database, both ways.

``import`` reads a full export of the Party's member database (.xlsx, .csv or .jsonl, docs/sync.md) into
a preview run: every row classified (new, changed, unchanged, conflict, bad) and the members missing from
it counted; ``--decisions FILE`` records decisions on conflicts; ``--apply`` applies the run in one
transaction. Without ``--as`` the operator acts as the system (any organisation); with it, as that
officer, within their scope, exactly as on the web page (``/dong-bo/``). ``export`` writes a subtree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.core.errors import DomainError
from partycard.jobs.runner import job_run
from partycard.partysync import jobs, selectors, services
from partycard.partysync.choices import RowKind, RunStatus
from partycard.partysync.fileformat import FORMATS, file_format
from partycard.registry import selectors as registry_selectors
from partycard.registry.models import Organisation
from partycard.registry.roster import ParseError

SHOWN = 50  # rows with problems (and conflicts) printed; the page lists them all


class Command(BaseCommand):
    help = "Synchronise with the party member database: import (preview, decide, apply) or export."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="preview (and with --apply, apply) a full export")
        imp.add_argument("file", type=Path)
        imp.add_argument("--root", metavar="CODE", help="the organisation synchronised (default: your own)")
        imp.add_argument("--as", dest="as_user", metavar="USERNAME", help="act as this officer")
        imp.add_argument("--apply", action="store_true", help="apply the preview (one transaction)")
        imp.add_argument("--decisions", type=Path, help='JSON: {"<file number>": {"<field>": "theirs"}}')
        imp.add_argument("--lang", default="vi", choices=["vi", "en"])
        exp = sub.add_parser("export", help="write a subtree in the sync format")
        exp.add_argument("file", type=Path)
        exp.add_argument("--root", metavar="CODE")
        exp.add_argument("--as", dest="as_user", metavar="USERNAME")
        exp.add_argument("--format", choices=FORMATS, help="default: by the file's name")
        exp.add_argument("--lang", default="vi", choices=["vi", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["lang"]):
            actor, root = _acting(options["as_user"], options["root"])
            try:
                if options["action"] == "export":
                    self._export(actor, root, options)
                else:
                    self._import(actor, root, options)
            except ParseError as e:
                raise CommandError(f"{options['file'].name}: {e}") from e
            except DomainError as e:
                raise CommandError(e.message) from e

    def _export(self, actor: Any, root: Organisation, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        fmt = options["format"] or file_format(path)
        run = services.sync_export(actor=actor, root=root, path=path, fmt=fmt)
        self.stdout.write(
            self.style.SUCCESS(
                _("Exported %(n)d members of %(org)s to %(file)s (run #%(run)d).")
                % {"n": run.rows, "org": root.code, "file": path.name, "run": run.pk}
            )
        )

    def _import(self, actor: Any, root: Organisation, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("%(path)s: no such file") % {"path": path})
        run, job = jobs.start_preview(
            actor=actor, root=root, path=path.resolve(), name=path.name, remove_file=False, enqueue=False
        )
        job_run(job.pk)
        run.refresh_from_db()
        self._report(run)
        if run.status != RunStatus.PREVIEW:
            raise CommandError(run.error or _("The preview did not finish."))
        if options["decisions"]:
            try:
                decisions = json.loads(options["decisions"].read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise CommandError(f"{options['decisions']}: {e}") from e
            if not isinstance(decisions, dict):
                raise CommandError(_("The decisions file must hold a JSON object."))
            n = services.sync_decide(actor=actor, run=run, decisions=decisions)
            self.stdout.write(_("%(n)d decisions recorded.") % {"n": n})
        if not options["apply"]:
            self.stdout.write(_("Preview only: nothing was written. Add --apply to apply it."))
            return
        job = jobs.start_apply(actor=actor, run=run, enqueue=False)
        job_run(job.pk)
        run.refresh_from_db()
        if run.status != RunStatus.APPLIED:
            raise CommandError(run.error or _("The synchronisation was not applied."))
        self.stdout.write(
            self.style.SUCCESS(
                _("Applied: %(n)d members written (run #%(run)d).") % {"n": run.written, "run": run.pk}
            )
        )

    def _report(self, run: Any) -> None:
        self.stdout.write(
            _(
                "Run #%(run)d: %(rows)d rows: %(added)d new, %(changed)d changed, %(unchanged)d unchanged, "
                "%(conflicts)d conflicts, %(keys)d key conflicts, %(bad)d with problems; %(missing)d "
                "members missing from the file."
            )
            % {
                "run": run.pk,
                "rows": run.rows,
                "added": run.added,
                "changed": run.changed,
                "unchanged": run.unchanged,
                "conflicts": run.conflicts,
                "keys": run.key_conflicts,
                "bad": run.bad,
                "missing": run.missing,
            }
        )
        for row in selectors.run_rows(run, kinds=[RowKind.BAD, RowKind.KEY_CONFLICT])[:SHOWN]:
            for column, message in row.problems:
                where = (
                    _("row %(row)d, column '%(column)s'") % {"row": row.number, "column": column}
                    if column
                    else _("row %(row)d") % {"row": row.number}
                )
                self.stderr.write(f"{run.file_name}: {where}: {message}")
        for row in selectors.run_rows(run, kinds=[RowKind.CONFLICT])[:SHOWN]:
            for name, change in row.changes.items():
                if change["outcome"] == "conflict":
                    self.stdout.write(
                        _("row %(row)d (%(key)s): conflict on %(field)s: %(ours)s ≠ %(theirs)s")
                        % {
                            "row": row.number,
                            "key": row.file_number or row.citizen_id,
                            "field": name,
                            "ours": change["old"],
                            "theirs": change["new"],
                        }
                    )


def _acting(username: str | None, code: str | None) -> tuple[Any, Organisation]:
    """The officer named by ``--as`` (None: the system) and the organisation synchronised."""
    actor = None
    if username is not None:
        from partycard.accounts.models import User

        actor = User.objects.filter(username=username, is_active=True).select_related("organisation").first()
        if actor is None or registry_selectors.scope_root(actor, Action.SYNC_MEMBER) is None:
            raise CommandError(_("%(user)s may not synchronise members.") % {"user": username})
    if code:
        root = Organisation.objects.filter(code=code).first()
        if root is None:
            raise CommandError(_("No organisation has code '%(code)s'.") % {"code": code})
        return actor, root
    root = (
        registry_selectors.scope_root(actor, Action.SYNC_MEMBER)
        if actor is not None
        else Organisation.objects.filter(parent__isnull=True).first()
    )
    if root is None:
        raise CommandError(_("No organisation to synchronise."))
    return actor, root
