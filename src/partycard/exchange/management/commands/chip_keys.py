"""``partycard chip-keys orphans [--delete] [--min-age MINUTES]``: the chip keys failed writes left in the
authority's key store (``services.chip_keys``), counted and listed; deleted with ``--delete``, one audit
row each. A key a chip image record or a card refers to is never deleted, nor one younger than
``--min-age`` (10 minutes by default: its write may still be in progress). Exit status 0; 1 when the
store cannot be opened or refuses a deletion.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.core import clock
from partycard.core.signing import SigningUnavailable, pki_keystore_open
from partycard.exchange.services.chip_keys import MIN_AGE, chip_key_orphans, chip_key_orphans_delete
from partycard.trust.errors import TrustError


class Command(BaseCommand):
    help = "Chip keys left in the key store by failed writes: list them (orphans), delete them (--delete)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        orphans = sub.add_parser("orphans", help="list the orphaned chip keys; --delete removes them")
        orphans.add_argument("--delete", action="store_true", help="delete them (audited, one row each)")
        orphans.add_argument(
            "--min-age",
            type=int,
            default=int(MIN_AGE.total_seconds() // 60),
            metavar="MINUTES",
            help="leave keys younger than this alone (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["min_age"] < 0:
            raise CommandError("--min-age must not be negative")
        min_age = timedelta(minutes=options["min_age"])
        try:
            store = pki_keystore_open()
        except SigningUnavailable as e:
            raise CommandError(str(e)) from e
        try:
            if options["delete"]:
                found = chip_key_orphans_delete(actor=None, store=store, now=clock.now(), min_age=min_age)
            else:
                found = chip_key_orphans(store=store, now=clock.now(), min_age=min_age)
        except TrustError as e:
            raise CommandError(f"the key store failed: {e}") from e
        for label in found.orphans:
            mark = "deleted" if label in found.deleted else "orphaned"
            self.stdout.write(f"{mark}: {label}")
        self.stdout.write(
            f"chip keys: {found.chip_keys} in the store, {found.in_use} in use, "
            f"{len(found.recent)} too recent to judge, {len(found.orphans)} orphaned"
            + (f", {len(found.deleted)} deleted" if options["delete"] else "")
        )
