"""``partycard seed --members N [--seed S]``: a national-shaped registry (see registry.seeding)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.core.errors import DomainError
from partycard.registry.seeding.loader import DEFAULT_WORKERS, seed_registry


class Command(BaseCommand):
    help = "Fill an empty registry with a national-shaped organisation tree and N members (resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, required=True, help="number of members, e.g. 5600000")
        parser.add_argument("--seed", type=int, default=1, help="random seed: same seed, same data")
        parser.add_argument("--chunk-size", type=int, default=50_000, help="members per transaction")
        parser.add_argument(
            "--workers",
            type=int,
            default=DEFAULT_WORKERS,
            help=f"generator processes beside the writer (PostgreSQL; default {DEFAULT_WORKERS}, "
            "the CPU count up to 4); 0 = inline",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = seed_registry(
                members=options["members"],
                seed=options["seed"],
                chunk_size=options["chunk_size"],
                workers=options["workers"],
                progress=not options["no_progress"],
            )
        except DomainError as e:
            raise CommandError(e.message) from e
        resumed = f", resumed at chunk {report.resumed_from_chunk}" if report.resumed_from_chunk else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {report.organisations:,} organisations and {report.members:,} members in "
                f"{report.total_seconds:.1f} s (members {report.load_seconds:.1f} s, "
                f"indexes and counters {report.finish_seconds:.1f} s{resumed})."
            )
        )
