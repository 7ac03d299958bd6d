"""Writes to user accounts that the audit log must see: role, organisation, admin rights and passwords."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from partycard.accounts.models import User
from partycard.audit.services import audit_record, diff

__all__ = ["AUDITED_FIELDS", "user_password_audit", "user_password_set", "user_save"]

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


@transaction.atomic
def user_password_set(*, actor: Any, user: User, password: str | None, door: str) -> User:
    """Set ``user``'s password (``None``: disable password login) and append its audit row.

    The caller has validated the password (Django's password validators, in the form).
    """
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    user_password_audit(actor=actor, user=user, door=door)
    return user


def user_password_audit(*, actor: Any, user: User, door: str) -> None:
    """Append the ``password_set`` row of a password just changed through ``door`` (``admin``,
    ``changepassword``): who changed whose password and whether it can still be used, never the password
    or its hash. Runs in the caller's transaction, the one that saved the password."""
    outcome = "set" if user.has_usable_password() else "disabled"
    audit_record(
        actor=actor,
        action="password_set",
        obj=user,
        changes={"password": [None, outcome], "door": [None, door]},
    )
