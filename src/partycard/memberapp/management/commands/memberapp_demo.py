"""``partycard memberapp_demo``: the member's app part of the demo (``partycard demo`` runs it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from partycard.memberapp.demo import load_memberapp_demo


class Command(BaseCommand):
    help = "Give the demo member login a phone number for the SMS code; print how to get the code."

    def handle(self, *args: Any, **options: Any) -> None:
        line = load_memberapp_demo()
        if line:
            self.stdout.write(line)
