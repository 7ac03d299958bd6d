"""Writes of the Youth Union volunteers' assignments (issue 17: "assigned by a committee to named cells for
a period … every action audited; the assignment expires by itself").

A committee or grassroots officer (``ASSIGN_VOLUNTEER``) assigns a volunteer account of their subtree to
cells of their subtree for a period of at most ``VOLUNTEER_ASSIGNMENT_MAX_DAYS``, and may revoke it before
its end. The scope itself (``accounts.roles.RoleTable.assigned_paths``) reads the rows on every call, so
nothing runs when the period ends. Each create and revoke appends its audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from partycard.accounts.models import User, VolunteerAssignment
from partycard.accounts.roles import Action, Role
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.errors import DomainError, ErrorCode
from partycard.core.scope import scope_require
from partycard.registry.choices import MEMBER_HOLDING_LEVELS
from partycard.registry.models import Organisation

__all__ = ["assignment_create", "assignment_revoke", "max_days"]


def max_days() -> int:
    """The longest period of one assignment, in days, first and last day included (settings)."""
    return int(settings.PARTYCARD.get("VOLUNTEER_ASSIGNMENT_MAX_DAYS", 183))


def _check_period(starts_on: dt.date, ends_on: dt.date, today: dt.date) -> None:
    """The period runs forward from today, in order, and no longer than the maximum."""
    if starts_on < today:
        raise DomainError(_("The assignment cannot start before today."), field="starts_on")
    if ends_on < starts_on:
        raise DomainError(_("The last day must not be before the first day."), field="ends_on")
    if (ends_on - starts_on).days + 1 > max_days():
        raise DomainError(
            _("An assignment lasts at most %(days)d days; assign again when it ends.") % {"days": max_days()},
            field="ends_on",
        )


def _check_cells(cells: Sequence[Organisation], today: dt.date) -> None:
    """Named cells (issue 17): organisations that hold members, and not dissolved."""
    if not cells:
        raise DomainError(_("Choose at least one party cell."), field="cells")
    for cell in cells:
        if cell.level not in MEMBER_HOLDING_LEVELS:
            raise DomainError(
                _("%(name)s is not a party cell: a volunteer is assigned to cells.") % {"name": cell.name},
                field="cells",
            )
        if cell.dissolved_on is not None and cell.dissolved_on <= today:
            raise DomainError(_("%(name)s has been dissolved.") % {"name": cell.name}, field="cells")


@transaction.atomic
def assignment_create(
    *,
    actor: Any,
    volunteer: User,
    cells: Sequence[Organisation],
    starts_on: dt.date,
    ends_on: dt.date,
    note: str = "",
) -> list[VolunteerAssignment]:
    """Assign ``volunteer`` to each of ``cells`` from ``starts_on`` to ``ends_on`` (inclusive): one row and
    one audit row per cell.

    Preconditions: the actor may ``ASSIGN_VOLUNTEER`` over every cell **and** over the volunteer's account
    (its organisation is in their subtree); the account is an active volunteer's.

    Raises:
        OutOfScope: a cell or the account is outside the actor's scope (the 404 of a missing one).
        DomainError: not a volunteer's account, not a cell, a dissolved cell, a period out of order, in the
            past or too long, or an overlap with an assignment of the same cell still running.
    """
    scope_require(actor, Action.ASSIGN_VOLUNTEER, volunteer, field="volunteer")
    scope_require(actor, Action.ASSIGN_VOLUNTEER, *cells, field="cells")
    if volunteer.role != Role.YOUTH_VOLUNTEER or volunteer.is_superuser:
        raise DomainError(_("This account is not a Youth Union volunteer's."), field="volunteer")
    if not volunteer.is_active:
        raise DomainError(_("This volunteer's account is disabled."), field="volunteer")
    today = clock.today()
    _check_period(starts_on, ends_on, today)
    unique = list({c.pk: c for c in cells}.values())
    _check_cells(unique, today)
    overlapping = (
        VolunteerAssignment.objects.select_for_update()
        .filter(volunteer=volunteer, organisation__in=unique, revoked_at__isnull=True)
        .filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
        .select_related("organisation")
        .first()
    )
    if overlapping is not None:
        raise DomainError(
            _("The volunteer is already assigned to %(name)s from %(start)s to %(end)s.")
            % {
                "name": overlapping.organisation.name,
                "start": overlapping.starts_on.strftime("%d/%m/%Y"),
                "end": overlapping.ends_on.strftime("%d/%m/%Y"),
            },
            code=ErrorCode.CONFLICT,
            field="cells",
        )
    note = " ".join(note.split())[:500]
    made = []
    for cell in sorted(unique, key=lambda c: c.path):
        row = VolunteerAssignment(
            volunteer=volunteer, organisation=cell, starts_on=starts_on, ends_on=ends_on, note=note,
            assigned_by=actor if getattr(actor, "pk", None) else None, created_at=clock.now(),
        )  # fmt: skip
        row.full_clean()
        row.save()
        audit_record(
            actor=actor,
            action="review.assignment_create",
            obj=row,
            changes={
                "volunteer": volunteer.username,
                "organisation": cell.code,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "note": note,
            },
        )
        made.append(row)
    return made


@transaction.atomic
def assignment_revoke(
    *, actor: Any, assignment: VolunteerAssignment, reason: str = ""
) -> VolunteerAssignment:
    """End ``assignment`` now, before its last day: the volunteer loses the cell at once.

    Raises:
        OutOfScope: the assignment's cell is outside the actor's scope for ``ASSIGN_VOLUNTEER``.
        DomainError: (conflict) it was revoked already, or it has ended.
    """
    scope_require(actor, Action.ASSIGN_VOLUNTEER, assignment)
    row = VolunteerAssignment.objects.select_for_update().get(pk=assignment.pk)
    scope_require(actor, Action.ASSIGN_VOLUNTEER, row.organisation, field="organisation")
    if row.revoked_at is not None:
        raise DomainError(_("This assignment has already been revoked."), code=ErrorCode.CONFLICT)
    if row.ends_on < clock.today():
        raise DomainError(_("This assignment has already ended."), code=ErrorCode.CONFLICT)
    row.revoked_at = clock.now()
    row.revoked_by = actor if getattr(actor, "pk", None) else None
    row.full_clean()
    row.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=actor,
        action="review.assignment_revoke",
        obj=row,
        changes={"revoked_at": row.revoked_at.isoformat(), "reason": " ".join(reason.split())[:500]},
    )
    assignment.revoked_at, assignment.revoked_by = row.revoked_at, row.revoked_by
    return row
