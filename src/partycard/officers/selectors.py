"""Reads of the officer pages: the officer accounts of the actor's subtree (``User.objects.scoped``, by the
account's organisation), their state (active, disabled, locked out, authenticator enrolled), and the
organisations an account may be given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from partycard.accounts.lockout import locked_usernames
from partycard.accounts.models import TOTPDevice, User
from partycard.accounts.roles import Action, Role
from partycard.core.text import fold
from partycard.registry.models import Organisation

__all__ = [
    "OFFICER_Q",
    "OfficerFilters",
    "officer_get",
    "officer_is_locked",
    "officer_list",
    "officers_scoped",
    "organisation_by_code",
]

#: An officer account: any role but member's, or a superuser (whose role field may be left "member").
OFFICER_Q = ~Q(role=Role.MEMBER) | Q(is_superuser=True)


def officers_scoped(actor: Any, action: str) -> QuerySet[User]:
    """The officer accounts ``actor`` may see (``VIEW_OFFICER``) or change (``CHANGE_OFFICER``)."""
    return User.objects.scoped(actor, action).filter(OFFICER_Q)


@dataclass(frozen=True)
class OfficerFilters:
    q: str = ""  # part of the username, or of the name with or without accents
    role: str = ""
    state: str = ""  # "active" or "disabled"


def _with_state(qs: QuerySet[User]) -> QuerySet[User]:
    enrolled = TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True)
    return qs.select_related("organisation__parent").annotate(enrolled=Exists(enrolled))


def officer_list(actor: Any, filters: OfficerFilters, *, after: str = "", limit: int = 51) -> list[User]:
    """One page of the actor's officers in username order, after the username ``after`` (keyset paging);
    each row carries ``enrolled`` (a confirmed authenticator) and ``locked`` (locked out now)."""
    qs = officers_scoped(actor, Action.VIEW_OFFICER)
    if filters.q:
        qs = qs.filter(Q(username__icontains=filters.q.strip()) | Q(name_search__contains=fold(filters.q)))
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.state in ("active", "disabled"):
        qs = qs.filter(is_active=filters.state == "active")
    if after:
        qs = qs.filter(username__gt=after)
    rows = list(_with_state(qs).order_by("username")[:limit])
    locked = locked_usernames(u.username for u in rows)
    for row in rows:
        row.locked = row.username in locked  # type: ignore[attr-defined]
    return rows


def officer_get(actor: Any, pk: int) -> User:
    """The officer account ``pk`` with its state, if the actor may see it; else the 404 of a missing one."""
    user = _with_state(officers_scoped(actor, Action.VIEW_OFFICER)).filter(pk=pk).first()
    if user is None:
        raise Http404(_("No such record."))
    user.locked = officer_is_locked(user)  # type: ignore[attr-defined]
    return user


def officer_is_locked(user: User) -> bool:
    return bool(locked_usernames([user.username]))


def organisation_by_code(actor: Any, code: str) -> Organisation | None:
    """The organisation ``code`` if it is in the actor's scope for managing officers, else None (missing
    and out of scope alike)."""
    code = code.strip().upper()
    if not code:
        return None
    return Organisation.objects.scoped(actor, Action.CHANGE_OFFICER).filter(code=code).first()
