"""``partycard demo``: load the demo registry, users, exchange, e-card and card manufacturer (idempotent);
print how to log in.

It lives in the production app, at the top of the stack, because it loads the registry, the exchange, the
e-card and production's demo manufacturer."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from partycard.credentials.demo import load_ecard_demo
from partycard.exchange.demo import demo_summary, load_exchange_demo
from partycard.production.demo import DEMO_FACTORY_PASSPHRASE, load_production_demo
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
        ecard = load_ecard_demo()
        if ecard is None:
            self.stdout.write("E-card demo skipped: set PARTYCARD_PKI_PASSPHRASE (make run sets a demo one).")
        else:
            self.stdout.write(
                f"Member login (SMS code, no TOTP): {ecard.username} — {ecard.member_name}, e-card"
                f" {ecard.card_number} at /the-dien-tu/; the offline verifier is at /kiem-tra/."
            )
            # The member's app sits above this layer: reached by its command's name, not imported.
            call_command("memberapp_demo", stdout=self.stdout)
        factory = load_production_demo()
        if factory is not None:
            self.stdout.write(
                f"Card production: plan and release a batch at /san-xuat/ (login admin), download it, then\n"
                f"  PARTYCARD_FACTORY_PASSPHRASE={DEMO_FACTORY_PASSPHRASE} "
                f".venv/bin/partycard-factory personalise BATCH.p7m --dir {factory}\n"
                "  and upload the key report it writes; then the same with `finish` for the signed chip data."
            )
