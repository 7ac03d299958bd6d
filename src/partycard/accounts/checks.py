"""Deployment check: the console message sender prints reset links on standard output, which production
collects into its logs; ``check --deploy`` refuses it (docs/officers.md, "Message sender")."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

__all__ = ["console_sender_check"]


@register(Tags.security, deploy=True)
def console_sender_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    path = getattr(settings, "PARTYCARD_MESSAGE_SENDER", "")
    if path.endswith((".ConsoleSender", ".MemorySender")):
        return [
            Error(
                f"PARTYCARD_MESSAGE_SENDER is {path}: it does not deliver password-reset links (the console "
                "sender prints them, links included, where the logs are collected).",
                hint="Set PARTYCARD_MESSAGE_SENDER to partycard.accounts.sender.EmailSender or an SMS "
                "gateway's sender class.",
                id="partycard.accounts.E001",
            )
        ]
    return []
