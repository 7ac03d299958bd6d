"""Routes of the Youth Union volunteers' assignments (issue 17); the same scope rules as their pages.

``GET /assignments`` lists the assignments in scope (a volunteer: their own), ``POST /assignments``
assigns a volunteer to cells for a period, ``POST /assignments/{id}/revoke`` ends one now. A cell or an
account outside the scope is the 404 of a missing one; a role that may assign nowhere is a 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from partycard.accounts.models import User
from partycard.accounts.roles import Action
from partycard.api.routers.access import actor_of, require_action
from partycard.api.schemas.assignments import MAX_ID, AssignmentIn, AssignmentOut, RevokeIn
from partycard.api.schemas.problems import problems
from partycard.core.scope import OutOfScope
from partycard.registry.models import Organisation
from partycard.review import assignments_selectors as selectors
from partycard.review import assignments_services as services

__all__ = ["router"]

router = Router(tags=["review"])


@router.get(
    "/assignments",
    response={200: list[AssignmentOut], **problems(403, 422)},
    operation_id="assignment_list",
    summary="Volunteers' assignments to cells of your scope, newest first (a volunteer: their own)",
)
def assignment_list(
    request: HttpRequest,
    state: str = Query("active", pattern="^(active|upcoming|ended|all)$"),
    limit: int = Query(100, ge=1, le=500),
) -> Any:
    actor = actor_of(request)
    require_action(actor, Action.VIEW_ASSIGNMENT)
    return list(selectors.assignment_list(actor, state=state)[:limit])


@router.post(
    "/assignments",
    response={201: list[AssignmentOut], **problems(403, 404, 409, 422)},
    operation_id="assignment_create",
    summary="Assign a Youth Union volunteer to cells for a period (one assignment per cell)",
)
def assignment_create(request: HttpRequest, payload: AssignmentIn) -> Any:
    actor = actor_of(request)
    require_action(actor, Action.ASSIGN_VOLUNTEER)
    volunteer = User.objects.filter(pk=payload.volunteer).first()
    if volunteer is None:
        raise OutOfScope("volunteer")
    codes = sorted({c.strip().upper() for c in payload.cells if c.strip()})
    cells = list(Organisation.objects.scoped(actor, Action.ASSIGN_VOLUNTEER).filter(code__in=codes))
    if len(cells) != len(codes):
        raise OutOfScope("cells")
    made = services.assignment_create(
        actor=actor, volunteer=volunteer, cells=cells, starts_on=payload.starts_on, ends_on=payload.ends_on,
        note=payload.note,
    )  # fmt: skip
    return Status(201, made)


@router.post(
    "/assignments/{assignment_id}/revoke",
    response={200: AssignmentOut, **problems(403, 404, 409, 422)},
    operation_id="assignment_revoke",
    summary="End a volunteer's assignment now",
)
def assignment_revoke(
    request: HttpRequest, payload: RevokeIn | None = None, assignment_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    actor = actor_of(request)
    require_action(actor, Action.ASSIGN_VOLUNTEER)
    assignment = selectors.assignment_get(actor, assignment_id, Action.ASSIGN_VOLUNTEER)
    return services.assignment_revoke(
        actor=actor, assignment=assignment, reason=payload.reason if payload else ""
    )
