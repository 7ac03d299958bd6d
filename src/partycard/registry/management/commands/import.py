"""``partycard import FILE [--as USERNAME]``: a roster (.xlsx/.csv) validated in full, then written all or
nothing. Without ``--as`` the operator imports as the system (any cell); with it, as that officer, whose
scope every row's cell must lie in, exactly as on the web page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.registry import selectors
from partycard.registry.importing import import_roster
from partycard.registry.models import Organisation
from partycard.registry.roster import ParseError


class Command(BaseCommand):
    help = "Import members from an .xlsx or .csv roster (layout: docs/import-format.md). All rows or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--lang", default="vi", choices=["vi", "en"], help="language of the messages")
        parser.add_argument(
            "--as", dest="as_user", metavar="USERNAME", help="import as this officer, within their scope"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        with translation.override(options["lang"]):
            if not path.exists():
                raise CommandError(_("%(path)s: no such file") % {"path": path})
            actor, scope = _acting(options["as_user"])
            try:
                result = import_roster(path, actor=actor, scope=scope)
            except ParseError as e:
                raise CommandError(f"{path.name}: {e}") from e
            except OSError as e:  # a directory, no permission: say so, without a traceback
                raise CommandError(f"{path}: {e.strerror or e}") from e
            if not result.ok:
                for row in result.problems:
                    for issue in row.issues:
                        where = (
                            _("row %(row)d, column '%(column)s'") % {"row": row.row, "column": issue.field}
                            if issue.field
                            else _("row %(row)d") % {"row": row.row}
                        )
                        self.stderr.write(f"{path.name}: {where}: {issue.message}")
                if result.unlisted:
                    self.stderr.write(
                        f"{path.name}: " + _("…and %(n)d more rows with problems.") % {"n": result.unlisted}
                    )
                raise CommandError(
                    _("%(bad)d of %(rows)d rows have problems; nothing was imported.")
                    % {"bad": result.bad_rows, "rows": result.rows}
                )
            done = _("Imported %(n)d members from %(file)s.") % {"n": result.created, "file": path.name}
        self.stdout.write(self.style.SUCCESS(done))


def _acting(username: str | None) -> tuple[Any, Organisation | None]:
    """The officer named by ``--as`` and the top of their import scope; (None, None) for the system."""
    if username is None:
        return None, None
    from partycard.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).select_related("organisation").first()
    scope = selectors.scope_root(user, Action.IMPORT_MEMBER) if user else None
    if user is None or scope is None:
        raise CommandError(_("%(user)s may not import members.") % {"user": username})
    return user, scope
