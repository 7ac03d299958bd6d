"""Writes to user accounts that the audit log must see: role, organisation, admin rights and passwords.

The admin saves through these; the officers app (issue 15) adds its own rules (which roles an officer may
grant, the last administrator, no acting on oneself) and then saves through them too.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from partycard.accounts import hooks
from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.audit.services import audit_record, diff
from partycard.core.scope import OutOfScope, role_of, scope_path
from partycard.core.text import fold

__all__ = [
    "AUDITED_FIELDS",
    "account_scope_require",
    "user_password_audit",
    "user_password_set",
    "user_save",
    "user_sessions_end",
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
    # Superuser rights come from a superuser only; the central role from a central administrator only.
    if (user.is_superuser and not before.get("is_superuser")) or (
        user.role == Role.CENTRAL_ADMIN
        and before.get("role") != Role.CENTRAL_ADMIN
        and role_of(actor) != Role.CENTRAL_ADMIN
    ):
        raise OutOfScope("role")
    targets = [user.organisation.path if user.organisation_id else None]  # type: ignore[union-attr]
    if user.member_id:
        targets.append(user.member.organisation.path)  # type: ignore[union-attr]
    if any(path is None or not path.startswith(prefix) for path in targets):
        raise OutOfScope("organisation")


AUDITED_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "phone",
    "role",
    "organisation_id",
    "member_id",
    "is_active",
    "is_staff",
    "is_superuser",
    "password_change_required",
)


@transaction.atomic
def user_save(*, actor: Any, user: User, action: str | None = None) -> User:
    """Save ``user``; a change of role, organisation, rights or contact appends an audit row: ``create``,
    else ``action`` (default ``role_change``), with what changed (never the password).

    An officer who is not a superuser manages only accounts of their own subtree, before and after the
    change (organisation and linked member record), grants no superuser rights, and grants the central
    role only if they act as central administrator themself. An account going from active to disabled has
    its API tokens revoked in the same transaction (``hooks.user_disabled``).

    Raises:
        OutOfScope: the account, its new organisation or its member record is outside the actor's scope.
    """
    before = dict(User.objects.filter(pk=user.pk).values(*AUDITED_FIELDS).first() or {}) if user.pk else {}
    _check_scope(actor, user, before)
    created = user.pk is None
    user.name_search = fold(user.full_name)
    user.save()
    after = {f: getattr(user, f) for f in AUDITED_FIELDS}
    changes = diff(before, after)
    if created:
        audit_record(actor=actor, action="create", obj=user, changes=changes)
    elif changes or action:
        audit_record(actor=actor, action=action or "role_change", obj=user, changes=changes)
    if before.get("is_active") and not user.is_active:
        hooks.user_disabled(user, actor=actor)  # its API tokens are revoked (api), in this transaction
    return user


@transaction.atomic
def user_password_set(
    *, actor: Any, user: User, password: str | None, door: str, must_change: bool = False
) -> User:
    """Set ``user``'s password (``None``: disable password login) and append its audit row.

    The caller has validated the password (Django's password validators, in the form). The account must
    be in the actor's subtree (``account_scope_require``), unless it is the actor's own (changing one's
    password, or setting it through a reset link, which proves the account's e-mail or phone).
    ``must_change``: a superior's temporary password or reset, to be replaced by the user at their next
    login (``password_change_required``); a password the user chose clears it.
    """
    if actor is None or actor.pk != user.pk:
        account_scope_require(actor, user)
    before = user.password_change_required
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.password_change_required = must_change
    user.save(update_fields=["password", "password_change_required"])
    user_password_audit(actor=actor, user=user, door=door, must_change=(before, must_change))
    return user


def user_password_audit(
    *, actor: Any, user: User, door: str, must_change: tuple[bool, bool] = (False, False)
) -> None:
    """Append the ``password_set`` row of a password just changed through ``door`` (``admin``,
    ``changepassword``, ``self``, ``reset_link``, ``officers``): who changed whose password and whether it
    can still be used, never the password or its hash. Runs in the caller's transaction, the one that
    saved the password. ``must_change`` (before, after) is recorded when it changed."""
    outcome = "set" if user.has_usable_password() else "disabled"
    changes: dict[str, list[Any]] = {"password": [None, outcome], "door": [None, door]}
    if must_change[0] != must_change[1]:
        changes["password_change_required"] = list(must_change)
    audit_record(actor=actor, action="password_set", obj=user, changes=changes)


def user_sessions_end(*, user: User) -> None:
    """End every session of ``user`` now (their browsers go back to the login page), by raising
    ``session_epoch``, which enters the session hash Django checks on each request. Runs in the caller's
    transaction; the caller has checked the scope and writes the audit row (a two-factor reset, disabling).
    """
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
