"""``partycard status-lists publish``: write every status list, freshly signed, into the PKI directory's
``status/`` folder, for offline readers (``partycard read-card``) to copy with the trust list.

It lives in the credentials app, which owns the status lists (the signing authority's ``pki`` command sits
below it in the app layers and may not import it). Publishing changes no record, so nothing is audited,
as serving the same tokens at ``/api/v1/status-lists/<id>`` is not.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.core.signing import SigningUnavailable
from partycard.credentials.publishing import TTL, status_lists_publish


class Command(BaseCommand):
    help = "Status lists for offline readers: publish (sign each list and write PKI_DIR/status/<id>.jwt)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("publish", help="sign every status list now and write PKI_DIR/status/<id>.jwt")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            written = status_lists_publish()
        except SigningUnavailable as e:
            raise CommandError(e.message_en) from e
        for path in written:
            self.stdout.write(f"status list {path.stem}: {path}")
        minutes = int(TTL.total_seconds() // 60)
        self.stdout.write(
            f"{len(written)} status list(s) published; readers must copy them again within {minutes} minutes"
            " (their time-to-live), or their verdicts become 'cannot tell'"
        )
