"""Deployment check: partycard's private OIDs still sit under the documentation arc (trust/oids.py), so
every certificate the authority issues would carry an identifier nobody registered (docs/trust.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from partycard.trust.oids import DEFAULT_ARC

__all__ = ["oid_arc_check"]


@register(Tags.security, deploy=True)
def oid_arc_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.PARTYCARD.get("OID_ARC", DEFAULT_ARC) == DEFAULT_ARC:
        return [
            Warning(
                f"PARTYCARD_OID_ARC is not set: partycard's certificate extensions use {DEFAULT_ARC}, a "
                "documentation arc (RFC 5612) that no certificate outside a test system may carry.",
                hint="Set PARTYCARD_OID_ARC to the arc the Government Cipher Committee registered, before "
                "the root and the signers are made (docs/trust.md).",
                id="partycard.core.W001",
            )
        ]
    return []
