"""Writes to user accounts that the audit log must see: role, organisation, admin rights and passwords."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.audit.services import audit_record, diff
from partycard.core.scope import OutOfScope, scope_path

__all__ = [
    "AUDITED_FIELDS",
    "account_scope_require",
    "user_password_audit",
    "user_password_set",
    "user_save",
]


def _prefix(actor: Any) -> str | None:
    """The subtree whose accounts ``actor`` manages; None for the system or a superuser (every account).

    Raises:
        OutOfScope: the actor has no subtree (a member).
    """
    if actor is None or getattr(actor, "is_superuser", False):
        return None
    prefix = scope_path(actor)
    if prefix is None:
        raise OutOfScope()
    return prefix


def account_scope_require(actor: Any, user: User) -> None:
    """Refuse unless the stored account ``user`` belongs to an organisation of the actor's subtree: the
    check of every write to an account or its devices, whatever door it comes through (the admin's
    scoped lists are a convenience).

    Raises:
        OutOfScope: the account is outside the actor's subtree, or has no organisation.
    """
    prefix = _prefix(actor)
    if prefix is None or not user.pk:
        return
    path = User.objects.filter(pk=user.pk).values_list("organisation__path", flat=True).first()
    if path is None or not path.startswith(prefix):
        raise OutOfScope("organisation")


def _check_scope(actor: Any, user: User, before: dict[str, Any]) -> None:
    prefix = _prefix(actor)
    if prefix is None:
        return  # the system, or the Centre's superuser
    account_scope_require(actor, user)
    if (user.is_superuser and not before.get("is_superuser")) or (
        user.role == Role.CENTRAL_ADMIN and before.get("role") != Role.CENTRAL_ADMIN
    ):
        raise OutOfScope("role")
    targets = [user.organisation.path if user.organisation_id else None]  # type: ignore[union-attr]
    if user.member_id:
        targets.append(user.member.organisation.path)  # type: ignore[union-attr]
    if any(path is None or not path.startswith(prefix) for path in targets):
        raise OutOfScope("organisation")


AUDITED_FIELDS = ("role", "organisation_id", "member_id", "is_active", "is_staff", "is_superuser")


@transaction.atomic
def user_save(*, actor: Any, user: User) -> User:
    """Save ``user``; a change of role, organisation or rights appends a ``role_change`` audit row.

    An officer who is not a superuser manages only accounts of their own subtree, before and after the
    change (organisation and linked member record), and grants no superuser rights and no central role.

    Raises:
        OutOfScope: the account, its new organisation or its member record is outside the actor's scope.
    """
    before = dict(User.objects.filter(pk=user.pk).values(*AUDITED_FIELDS).first() or {}) if user.pk else {}
    _check_scope(actor, user, before)
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

    The caller has validated the password (Django's password validators, in the form). The account must
    be in the actor's subtree (``account_scope_require``).
    """
    account_scope_require(actor, user)
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
