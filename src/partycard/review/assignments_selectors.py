"""Reads of the Youth Union volunteers' assignments: the list a committee sees, the volunteer's own, and
what the assignment form may offer (volunteer accounts and cells of the actor's subtree)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from partycard.accounts.models import User, VolunteerAssignment
from partycard.accounts.roles import Action, Role
from partycard.core import clock
from partycard.core.scope import get_scoped_or_404, role_of
from partycard.registry.choices import MEMBER_HOLDING_LEVELS
from partycard.registry.models import Organisation

__all__ = [
    "FORM_CELLS_MAX",
    "STATES",
    "assignable_cells",
    "assignable_volunteers",
    "assignment_get",
    "assignment_list",
]

#: The filter of the list: running today, not begun yet, ended (expired or revoked), or every one.
STATES = ("active", "upcoming", "ended", "all")
#: The most cells the form lists to tick; a larger subtree types the cells' codes instead.
FORM_CELLS_MAX = 300


def assignment_list(actor: Any, *, state: str = "active") -> QuerySet[VolunteerAssignment]:
    """The assignments to cells of the actor's scope, newest first. A volunteer sees only their own rows
    (of the cells they hold today: an ended assignment leaves them no scope to read it by)."""
    found = VolunteerAssignment.objects.scoped(actor, Action.VIEW_ASSIGNMENT).select_related(
        "volunteer", "organisation", "assigned_by", "revoked_by"
    )
    if role_of(actor) == Role.YOUTH_VOLUNTEER:
        found = found.filter(volunteer_id=actor.pk)
    today = clock.today()
    if state == "active":
        found = found.filter(revoked_at__isnull=True, starts_on__lte=today, ends_on__gte=today)
    elif state == "upcoming":
        found = found.filter(revoked_at__isnull=True, starts_on__gt=today)
    elif state == "ended":
        found = found.filter(Q(revoked_at__isnull=False) | Q(ends_on__lt=today))
    return found.order_by("-created_at", "-pk")


def assignment_get(
    actor: Any, assignment_id: int, action: str = Action.VIEW_ASSIGNMENT
) -> VolunteerAssignment:
    """The assignment, if it is in the actor's scope for ``action``; else the 404 of a missing one."""
    return get_scoped_or_404(VolunteerAssignment, actor, action, pk=assignment_id)


def assignable_volunteers(actor: Any) -> QuerySet[User]:
    """The active volunteer accounts of the actor's subtree, by name."""
    return (
        User.objects.scoped(actor, Action.ASSIGN_VOLUNTEER)
        .filter(role=Role.YOUTH_VOLUNTEER, is_active=True, is_superuser=False)
        .select_related("organisation")
        .order_by("last_name", "first_name", "username")
    )


def assignable_cells(actor: Any) -> QuerySet[Organisation]:
    """The cells (organisations holding members) of the actor's subtree, not dissolved, in tree order."""
    today = clock.today()
    return (
        Organisation.objects.scoped(actor, Action.ASSIGN_VOLUNTEER)
        .filter(level__in=sorted(MEMBER_HOLDING_LEVELS))
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=today))
        .order_by("path")
    )
