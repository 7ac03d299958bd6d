"""``partycard meetings close-month --month YYYY-MM``: close a month for Party Charter Art. 8(2).

In every cell that held a meeting that month, a member who attended none and had no absence excused gets
the month among their skipped months (``meetings.services.month_close``). Resumable and idempotent: run it
again after an interruption and it goes on from the cell where it stopped; a finished month is left as is.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.core.errors import DomainError
from partycard.meetings.services import month_close


class Command(BaseCommand):
    help = "Cell meetings: close a month (record the months of skipped activities, Charter Art. 8(2))."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        close = sub.add_parser("close-month", help="close a month: YYYY-MM (resumable)")
        close.add_argument("--month", required=True, help="the month, YYYY-MM")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            record = month_close(month=options["month"])
        except ValueError as e:
            raise CommandError(f"not a month (YYYY-MM): {options['month']}") from e
        except DomainError as e:
            raise CommandError(e.message) from e
        self.stdout.write(
            f"{record.month}: {record.cells_done} cells, {record.months_recorded} members recorded"
            f" as having skipped the month; finished {record.finished_at:%d/%m/%Y %H:%M}"
        )
