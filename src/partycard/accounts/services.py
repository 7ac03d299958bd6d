"""Writes to user accounts that the audit log must see: role, organisation and admin rights."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from partycard.accounts.models import User
from partycard.audit.services import audit_record, diff

__all__ = ["AUDITED_FIELDS", "user_save"]

AUDITED_FIELDS = ("role", "organisation_id", "member_id", "is_active", "is_staff", "is_superuser")


@transaction.atomic
def user_save(*, actor: Any, user: User) -> User:
    """Save ``user``; a change of role, organisation or rights appends a ``role_change`` audit row."""
    before = dict(User.objects.filter(pk=user.pk).values(*AUDITED_FIELDS).first() or {}) if user.pk else {}
    created = user.pk is None
    user.save()
    after = {f: getattr(user, f) for f in AUDITED_FIELDS}
    changes = diff(before, after)
    if created:
        audit_record(actor=actor, action="create", obj=user, changes=changes)
    elif changes:
        audit_record(actor=actor, action="role_change", obj=user, changes=changes)
    return user
