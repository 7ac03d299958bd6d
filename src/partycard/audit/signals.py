"""Logins and failed logins are audited (the username tried, never the password)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from partycard.audit.services import audit_record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        audit_record(actor=user, action="login", obj=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    with transaction.atomic():
        audit_record(actor=None, action="login_failed", object_type="accounts.user",
                     changes={"username": [None, str(credentials.get("username", ""))[:150]]})  # fmt: skip
