"""``partycard audit verify``: check the whole hash chain; exit 1 naming the first bad row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.audit.services import audit_verify


class Command(BaseCommand):
    help = (
        "Audit log tools. 'verify': check the hash chain, name the first altered, removed or reordered row."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if not report.ok:
            raise CommandError(f"audit chain broken after {report.checked} good rows: {report.reason}")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {report.checked} rows"))
