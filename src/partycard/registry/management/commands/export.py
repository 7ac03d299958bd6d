"""``partycard export --org CODE -o FILE.xlsx [--as USERNAME]``: the roster of an organisation's subtree.

Without ``--as`` the operator exports as the system (any organisation); with it, as that officer, whose
scope for exporting must hold the organisation, exactly as on the web page (the same 404 message for one
outside it as for one that does not exist). Written in this process however large: no request to time out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.accounts.roles import Action
from partycard.core.scope import OutOfScope
from partycard.registry.exporting import export_roster
from partycard.registry.models import Organisation


class Command(BaseCommand):
    help = "Export the members of an organisation's subtree to .xlsx (the layout import reads)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default="TW", help="organisation code (default: the Centre, TW)")
        parser.add_argument("-o", "--output", type=Path, default=None, help="file to write (.xlsx)")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--as", dest="as_user", metavar="USERNAME", help="export as this officer, within their scope"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = _acting(options["as_user"])
        orgs = (
            Organisation.objects.all()
            if actor is None
            else Organisation.objects.scoped(actor, Action.EXPORT_MEMBER)
        )
        org = orgs.filter(code=options["org"]).first()
        if org is None:
            raise CommandError(f"no organisation has code '{options['org']}'")
        output: Path = options["output"] or Path(f"roster-{org.code}.xlsx")
        if output.suffix.lower() != ".xlsx":
            raise CommandError("the output file must end in .xlsx")
        try:
            n = export_roster(org, output, actor=actor, progress=not options["no_progress"])
        except OutOfScope as e:
            raise CommandError(f"no organisation has code '{options['org']}'") from e
        self.stdout.write(self.style.SUCCESS(f"Wrote {n} members of {org.code} to {output}."))


def _acting(username: str | None) -> Any:
    """The active officer named by ``--as`` (None: the system)."""
    if username is None:
        return None
    from partycard.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).select_related("organisation").first()
    if user is None:
        raise CommandError(f"{username} may not export members.")
    return user
