"""``partycard demo``: load the demo registry, users and exchange (idempotent) and print how to log in.

It lives in the exchange app, the top of the stack, because it loads both the registry and the exchange."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from partycard.exchange.demo import demo_summary, load_exchange_demo
from partycard.registry.demo import DEMO_MEMBERS, DEMO_OTP_SECRET, DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load demo data (a small seeded registry) and the demo logins; safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=DEMO_MEMBERS)

    def handle(self, *args: Any, **options: Any) -> None:
        logins = load_demo(members=options["members"])
        campaign = load_exchange_demo()
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.username:<6} {login.role} — {login.organisation}")
        self.stdout.write(
            "Every demo login is an officer: after the password it asks for a six-digit code (TOTP).\n"
            f"  Add this secret to an authenticator app: {DEMO_OTP_SECRET}\n"
            "  or print the current code with: .venv/bin/partycard demo_otp USERNAME"
        )
        self.stdout.write(demo_summary(campaign))
