"""``partycard export --org CODE -o FILE.xlsx``: the roster of an organisation's subtree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.registry.exporting import export_roster
from partycard.registry.models import Organisation


class Command(BaseCommand):
    help = "Export the members of an organisation's subtree to .xlsx (the layout import reads)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default="TW", help="organisation code (default: the Centre, TW)")
        parser.add_argument("-o", "--output", type=Path, default=None, help="file to write (.xlsx)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(code=options["org"]).first()
        if org is None:
            raise CommandError(f"no organisation has code '{options['org']}'")
        output: Path = options["output"] or Path(f"roster-{org.code}.xlsx")
        if output.suffix.lower() != ".xlsx":
            raise CommandError("the output file must end in .xlsx")
        n = export_roster(org, output, progress=not options["no_progress"])
        self.stdout.write(self.style.SUCCESS(f"Wrote {n} members of {org.code} to {output}."))
