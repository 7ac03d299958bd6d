"""``partycard demo_otp USERNAME``: print the current TOTP code of a demo officer (``make run`` only).

It answers only for a device named "demo" holding the public demo secret, so it is useless in production.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.registry.demo import demo_otp_code


class Command(BaseCommand):
    help = "Print the current six-digit code of a demo user's 'demo' TOTP device (demo databases only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            code = demo_otp_code(username=options["username"])
        except LookupError:
            raise CommandError(
                "no demo TOTP device for this user: demo_otp works only for the demo logins of make run"
            ) from None
        self.stdout.write(code)
