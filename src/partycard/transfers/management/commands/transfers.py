"""``partycard transfers expire|verify-letter``: the transfers' work from the shell, thin over the app.

    partycard transfers expire [--at 2026-12-07T08:00+07:00]   # the daily job: expire overdue transfers
    partycard transfers verify-letter LETTER.pdf LETTER.p7s [--root root.pem] [--at …]

``verify-letter`` checks a letter against its signature with the authority's root certificate
(``PARTYCARD_PKI_DIR/root.pem`` unless ``--root``); it exits 1 when the letter does not verify.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cryptography import x509
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.core import clock
from partycard.transfers.letter import letter_verify, root_certificate
from partycard.transfers.services import transfers_expire


def _moment(text: str | None) -> dt.datetime:
    if not text:
        return clock.now()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as e:
        raise CommandError(f"not an ISO 8601 time: {text}") from e
    if moment.tzinfo is None:
        raise CommandError("give the time zone (…+07:00)")
    return moment


class Command(BaseCommand):
    help = "Transfers of party activity: expire overdue ones; verify an introduction letter's signature."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        expire = sub.add_parser("expire", help="expire the transfers whose deadline has passed")
        expire.add_argument("--at", help="the time to judge at (ISO 8601, with its zone); default now")
        verify = sub.add_parser("verify-letter", help="check a letter (PDF) against its signature (.p7s)")
        verify.add_argument("letter", type=Path)
        verify.add_argument("signature", type=Path)
        verify.add_argument("--root", type=Path, help="the root certificate (PEM); default the authority's")
        verify.add_argument("--at", help="the time to judge the signer at; default now")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "expire":
            count = transfers_expire(at=_moment(options["at"]))
            self.stdout.write(f"{count} transfer(s) expired")
            return
        try:
            pdf, signature = options["letter"].read_bytes(), options["signature"].read_bytes()
            root = (
                x509.load_pem_x509_certificate(options["root"].read_bytes())
                if options["root"]
                else root_certificate()
            )
        except (OSError, ValueError) as e:
            raise CommandError(str(e)) from e
        if root is None:
            raise CommandError("no root certificate: give --root or set PARTYCARD_PKI_DIR")
        check = letter_verify(pdf, signature, root=root, at=_moment(options["at"]))
        if not check.ok:
            raise CommandError(f"NOT VALID ({check.reason})", returncode=1)
        self.stdout.write(f"valid: letter {check.number}, signed by {check.signer} at {check.signed_at}")
