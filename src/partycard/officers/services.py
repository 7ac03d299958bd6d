"""Writes of officer management (issue 15): create an officer account, change it, reset its password or
its authenticator, disable and enable it, lift a login lock-out.

Every one is keyword-only, takes ``actor``, runs in one transaction, and checks, in this order:

1. the scope of the account (``CHANGE_OFFICER`` over its organisation) **and** of every organisation it
   is given: another province's account or organisation is the same 404 as a missing one;
2. that the actor is not acting on their own account (``SelfAction``): no one disables, demotes, moves or
   resets themself here, so no one locks themself out; their own password is changed on its own page;
3. that the account holds no right the actor lacks, and that the role given is one they may grant
   (``rules``);
4. that the change leaves at least one active central administrator (``LastAdministrator``; with rule 2
   only the system, ``actor=None``, could get there, but the rule does not depend on who calls).

The account itself is saved through ``accounts.services`` (``user_save``, ``user_password_set``), which
write the audit rows: what changed, never a password, a hash, a token or a TOTP secret. A temporary
password is returned to the caller to show once; it is not stored anywhere but as its hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from partycard.accounts import lockout
from partycard.accounts.models import User
from partycard.accounts.password_reset import reset_link_send, temporary_password_new
from partycard.accounts.roles import Action, Role
from partycard.accounts.sender import Channel
from partycard.accounts.services import user_password_set, user_save, user_sessions_end
from partycard.accounts.two_factor import totp_device_remove
from partycard.audit.services import audit_record
from partycard.core.scope import OutOfScope, scope_require
from partycard.core.text import invisible_characters
from partycard.officers import rules
from partycard.officers.errors import (
    AlreadyInState,
    LastAdministrator,
    NotLocked,
    OrganisationDissolved,
    RightsBeyondYours,
    RoleNotGrantable,
    SelfAction,
    WrongLevel,
)
from partycard.officers.selectors import officers_scoped
from partycard.registry.models import Organisation

__all__ = [
    "Delivery",
    "Issued",
    "OfficerDetails",
    "officer_create",
    "officer_disable",
    "officer_enable",
    "officer_password_reset",
    "officer_two_factor_reset",
    "officer_unlock",
    "officer_update",
]


class Delivery(StrEnum):
    """How an officer gets a password from their superior: a temporary one shown once to the superior, or
    a link to choose one, sent by e-mail or SMS. Either way they choose their own before anything else."""

    TEMPORARY = "temporary"
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True)
class OfficerDetails:
    """What an officer page edits: the person, how to reach them, their role and organisation."""

    full_name: str
    email: str
    phone: str
    role: str
    organisation: Organisation


@dataclass(frozen=True)
class Issued:
    officer: User
    temporary_password: str | None  # to show once; None when a link was sent


def _target(actor: Any, officer: User) -> User:
    """The stored account, locked, if ``actor`` may change it (rules 1–3 above); else the refusal."""
    qs = User.objects.all() if actor is None else officers_scoped(actor, Action.CHANGE_OFFICER)
    target = qs.select_for_update(of=("self",)).filter(pk=officer.pk).first()
    if target is None:
        raise OutOfScope()
    if actor is not None:
        if actor.pk == target.pk:
            raise SelfAction()
        if not rules.holds_no_more_rights(actor, target):
            raise RightsBeyondYours()
    return target


def _role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def _check_placement(actor: Any, role: str, organisation: Organisation) -> None:
    """The organisation is in scope (rule 1), the role is one the actor grants (rule 3), at its level."""
    scope_require(actor, Action.CHANGE_OFFICER, organisation, field="organisation")
    if role not in rules.OFFICER_ROLES:
        raise RoleNotGrantable(_role_label(role))
    if actor is not None and role not in rules.grantable_roles(actor):
        raise RoleNotGrantable(_role_label(role))
    if not rules.level_fits(role, organisation.level):
        raise WrongLevel(_role_label(role), organisation.name)
    if organisation.dissolved_on is not None:
        raise OrganisationDissolved(organisation.name)


def _administrators_left(excluding: User) -> bool:
    """Whether an active central administrator other than ``excluding`` remains (rule 4)."""
    admins = User.objects.filter(Q(role=Role.CENTRAL_ADMIN) | Q(is_superuser=True), is_active=True)
    return admins.exclude(pk=excluding.pk).exists()


def _is_administrator(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role == Role.CENTRAL_ADMIN)


def _apply(user: User, details: OfficerDetails) -> None:
    """Put ``details`` on ``user``; the name split Vietnamese-style (the given name is the last word)."""
    name = " ".join(details.full_name.split())
    errors: dict[str, list[str]] = {}
    if not name:
        errors["full_name"] = [_("Enter the officer's full name.")]
    elif invisible_characters(name):
        errors["full_name"] = [_("The name contains invisible or control characters.")]
    family, _sep, given = name.rpartition(" ")
    if len(family) > 150 or len(given) > 150:
        errors["full_name"] = [_("The full name is too long.")]
    if not details.email.strip() and not details.phone.strip():
        errors["email"] = [
            _("Give an e-mail address or a phone number (or both): reset links are sent there.")
        ]
    if errors:
        raise ValidationError(errors)
    user.last_name, user.first_name = family, given
    user.email = details.email.strip().lower()
    user.phone = details.phone.strip()
    user.role = details.role
    user.organisation = details.organisation


def _full_clean(user: User) -> None:
    """The model's own checks (username form and uniqueness, e-mail, phone), with their field names as the
    form shows them."""
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as e:
        errors = e.message_dict
        if "first_name" in errors or "last_name" in errors:
            errors["full_name"] = errors.pop("first_name", []) + errors.pop("last_name", [])
        raise ValidationError(errors) from e


def _issue(*, actor: Any, officer: User, delivery: Delivery, base_url: str) -> str | None:
    """Replace the password: a temporary one (returned, to show once) or none, with a link sent. Either way
    the officer must choose their own at the next login (``password_change_required``); their sessions end
    (the password hash enters the session hash)."""
    if delivery == Delivery.TEMPORARY:
        password = temporary_password_new(officer)
        user_password_set(actor=actor, user=officer, password=password, door="officers", must_change=True)
        return password
    user_password_set(actor=actor, user=officer, password=None, door="officers_link", must_change=True)
    channel = Channel.EMAIL if delivery == Delivery.EMAIL else Channel.SMS
    reset_link_send(user=officer, channel=channel, base_url=base_url, by_superior=True)
    return None


@transaction.atomic
def officer_create(
    *, actor: Any, username: str, details: OfficerDetails, delivery: Delivery, base_url: str = ""
) -> Issued:
    """Create an officer account at ``details.organisation`` with ``details.role``, and give it a first
    password (``delivery``). Audited: ``create`` (the account, no password) and ``password_set``.

    Raises:
        OutOfScope: the organisation is outside the actor's scope, or they may not manage officers.
        RoleNotGrantable, WrongLevel, OrganisationDissolved: the role or the organisation is refused.
        ValidationError: a field is refused (``username`` taken or malformed, ``email``, ``phone``,
            ``full_name``), keyed by field.
        NoAddress, SendFailed: a link was asked for and cannot be sent (nothing is created).
    """
    _check_placement(actor, details.role, details.organisation)
    username = username.strip().lower()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": [_("This username is taken: choose another.")]})
    officer = User(username=username, is_active=True)
    officer.set_unusable_password()
    _apply(officer, details)
    _full_clean(officer)
    user_save(actor=actor, user=officer)
    password = _issue(actor=actor, officer=officer, delivery=delivery, base_url=base_url)
    return Issued(officer, password)


@transaction.atomic
def officer_update(*, actor: Any, officer: User, details: OfficerDetails) -> User:
    """Change an officer's name, contacts, role or organisation (a move). Audited ``officer_update``.

    Raises:
        OutOfScope: the account or the new organisation is outside the actor's scope.
        SelfAction, RightsBeyondYours, RoleNotGrantable, WrongLevel, OrganisationDissolved,
            LastAdministrator: see the module's rules.
        ValidationError: a field is refused, keyed by field.
    """
    target = _target(actor, officer)
    if details.role != target.role or details.organisation.pk != target.organisation_id:
        _check_placement(actor, details.role, details.organisation)
    demoted = _is_administrator(target) and details.role != Role.CENTRAL_ADMIN and not target.is_superuser
    if demoted and not _administrators_left(target):
        raise LastAdministrator()
    _apply(target, details)
    _full_clean(target)
    return user_save(actor=actor, user=target, action="officer_update")


@transaction.atomic
def officer_password_reset(
    *, actor: Any, officer: User, delivery: Delivery, base_url: str = ""
) -> str | None:
    """Replace an officer's password (they forgot it, or it may be known to someone else): a temporary one,
    returned to be shown once, or a link sent by e-mail or SMS (the old password stops working). Audited
    ``password_set`` (door ``officers`` or ``officers_link``).

    Raises:
        OutOfScope, SelfAction, RightsBeyondYours: see the module's rules.
        NoAddress, SendFailed: the link cannot be sent (nothing changes).
    """
    target = _target(actor, officer)
    return _issue(actor=actor, officer=target, delivery=delivery, base_url=base_url)


@transaction.atomic
def officer_two_factor_reset(*, actor: Any, officer: User) -> int:
    """Remove the officer's authenticator devices (a lost or replaced phone) and end their sessions: they
    enrol a new device at their next login, after their password. Audited: one ``otp_remove`` per device
    and ``officer_two_factor_reset``. Returns the number of devices removed.

    Raises:
        OutOfScope, SelfAction, RightsBeyondYours: see the module's rules.
    """
    target = _target(actor, officer)
    devices = list(target.totp_devices.all())
    for device in devices:
        totp_device_remove(actor=actor, device=device)
    user_sessions_end(user=target)
    audit_record(
        actor=actor,
        action="officer_two_factor_reset",
        obj=target,
        changes={"devices": [len(devices), 0], "sessions": [None, "ended"]},
    )
    return len(devices)


@transaction.atomic
def officer_disable(*, actor: Any, officer: User) -> User:
    """Disable an officer account: it can no longer log in, its sessions end at their next request and its
    API tokens are revoked in the same transaction (``user_save`` tells ``accounts.hooks``, which ``api``
    answers; each revocation audited ``revoke``). Audited ``officer_disable``.

    Raises:
        OutOfScope, SelfAction, RightsBeyondYours, LastAdministrator: see the module's rules.
        AlreadyInState: it is disabled already.
    """
    target = _target(actor, officer)
    if not target.is_active:
        raise AlreadyInState(_("This account is disabled already."))
    if _is_administrator(target) and not _administrators_left(target):
        raise LastAdministrator()
    user_sessions_end(user=target)
    target.is_active = False
    return user_save(actor=actor, user=target, action="officer_disable")


@transaction.atomic
def officer_enable(*, actor: Any, officer: User) -> User:
    """Enable a disabled officer account again (its password and device as they were; its API tokens stay
    revoked: the officer issues new ones).
    Audited ``officer_enable``.

    Raises:
        OutOfScope, SelfAction, RightsBeyondYours: see the module's rules.
        AlreadyInState: it is active already.
    """
    target = _target(actor, officer)
    if target.is_active:
        raise AlreadyInState(_("This account is active already."))
    target.is_active = True
    return user_save(actor=actor, user=target, action="officer_enable")


@transaction.atomic
def officer_unlock(*, actor: Any, officer: User) -> int:
    """Lift the login lock-out of an officer (django-axes: too many wrong passwords), from every address.
    Audited ``officer_unlock``. Returns the number of lock-out records cleared.

    Raises:
        OutOfScope, SelfAction, RightsBeyondYours: see the module's rules.
        NotLocked: there is nothing to lift.
    """
    target = _target(actor, officer)
    cleared = lockout.lockout_clear(target.username)
    if not cleared:
        raise NotLocked()
    audit_record(actor=actor, action="officer_unlock", obj=target, changes={"failure_records": [cleared, 0]})
    return cleared
