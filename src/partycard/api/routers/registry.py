"""Routes of the registry: organisations and members. Each is one scoped lookup and one selector or service.

Scope rules, the same as the web UI's: an object outside the actor's subtree, or one the role may not act
on, is the 404 of a missing one (``get_scoped_or_404``); a create by a role that may create nowhere is a
403; a target organisation outside the scope is a field error worded as for a code that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Status

from partycard.accounts.roles import Action
from partycard.api.errors import ApiProblem
from partycard.api.schemas.problems import problems
from partycard.api.schemas.registry import (
    MemberIn,
    MemberOut,
    MemberPage,
    MemberPatch,
    MemberQuery,
    OrganisationIn,
    OrganisationOut,
    OrganisationPage,
    OrganisationPatch,
    OrganisationQuery,
)
from partycard.core.errors import DomainError, ErrorCode
from partycard.core.scope import get_scoped_or_404
from partycard.registry import selectors, services
from partycard.registry.models import Member, Organisation
from partycard.registry.models.organisation import CODE_VALIDATOR

__all__ = ["router"]

router = Router(tags=["registry"])

T = TypeVar("T")
MAX_ID = 2**63 - 1  # a bigint primary key


def _actor(request: HttpRequest) -> Any:
    return request.auth.user  # type: ignore[attr-defined]


def _require(actor: Any, model: type[models.Model], action: Action) -> None:
    """403 unless ``action`` reaches at least one object for the actor (the scoped manager is empty for a
    role without the action, or without a subtree)."""
    if not model.objects.scoped(actor, action).exists():  # type: ignore[attr-defined]
        raise ApiProblem(403, "Your role may not do this.", code=ErrorCode.FORBIDDEN)


def _target(actor: Any, code: str, action: Action, field: str) -> Organisation:
    """The organisation ``code`` if ``action`` may use it; otherwise a field error as for a missing code."""
    org = Organisation.objects.scoped(actor, action).filter(code=code).first()
    if org is None:
        raise DomainError("No organisation has this code.", field=field)
    return org


def _page(rows: Sequence[T], limit: int, cursor: Callable[[T], str]) -> dict[str, Any]:
    """``rows`` was fetched with ``limit + 1``: the extra row only says that a next page exists."""
    items = list(rows[:limit])
    return {"items": items, "next_cursor": cursor(items[-1]) if len(rows) > limit else None}


# ---- organisations -------------------------------------------------------------------------------


@router.get(
    "/organisations",
    response={200: OrganisationPage, **problems(400, 404, 422)},
    operation_id="organisation_list",
    summary="List the children of an organisation",
)
def organisation_list(request: HttpRequest, query: Query[OrganisationQuery]) -> Any:
    """Children of ``parent`` (default: the top of your scope), in code order; ``cursor`` continues a list."""
    actor = _actor(request)
    if query.cursor is not None:
        try:
            CODE_VALIDATOR(query.cursor)
        except ValidationError as e:
            raise ApiProblem(400, "Invalid cursor.", code=ErrorCode.BAD_CURSOR) from e
    if query.parent is None:
        parent = selectors.scope_root(actor, Action.VIEW_ORGANISATION)
        if parent is None:
            return {"items": [], "next_cursor": None}
    else:
        parent = get_scoped_or_404(Organisation, actor, Action.VIEW_ORGANISATION, code=query.parent)
    rows = selectors.organisation_children_page(actor, parent, after=query.cursor, limit=query.limit + 1)
    return _page(rows, query.limit, lambda o: o.code)


@router.get(
    "/organisations/{code}",
    response={200: OrganisationOut, **problems(404, 422)},
    operation_id="organisation_get",
    summary="One organisation",
)
def organisation_get(request: HttpRequest, code: str = Path(..., max_length=20)) -> Any:
    return get_scoped_or_404(Organisation, _actor(request), Action.VIEW_ORGANISATION, code=code)


@router.post(
    "/organisations",
    response={201: OrganisationOut, **problems(400, 403, 422)},
    operation_id="organisation_create",
    summary="Create an organisation under one in your scope",
)
def organisation_create(request: HttpRequest, payload: OrganisationIn) -> Any:
    actor = _actor(request)
    _require(actor, Organisation, Action.ADD_ORGANISATION)
    parent = _target(actor, payload.parent, Action.ADD_ORGANISATION, "parent")
    org = services.organisation_create(
        actor=actor, code=payload.code, name=payload.name, level=int(payload.level), parent=parent
    )
    return Status(201, org)


@router.patch(
    "/organisations/{code}",
    response={200: OrganisationOut, **problems(400, 404, 422)},
    operation_id="organisation_update",
    summary="Rename or dissolve an organisation",
)
def organisation_update(
    request: HttpRequest, payload: OrganisationPatch, code: str = Path(..., max_length=20)
) -> Any:
    actor = _actor(request)
    org = get_scoped_or_404(Organisation, actor, Action.CHANGE_ORGANISATION, code=code)
    return services.organisation_update(
        actor=actor, organisation=org, changes=payload.model_dump(exclude_unset=True)
    )


# ---- members -------------------------------------------------------------------------------------

# Recorded-or-NULL fields: unique among recorded values, so "" must become NULL, not a shared value.
_NULLABLE_UNIQUE = ("citizen_id", "file_number", "old_card_number")


def _member_fields(data: dict[str, Any]) -> dict[str, Any]:
    """API field values → model attribute values (enums to their values, "" to NULL where NULL = unset)."""
    out = {k: (v.value if hasattr(v, "value") else v) for k, v in data.items()}
    if "ethnicity" in out:
        out["ethnicity_id"] = out.pop("ethnicity")
    if "qualification" in out and out["qualification"] is None:
        out["qualification"] = ""
    for name in _NULLABLE_UNIQUE:
        if name in out and not out[name]:
            out[name] = None
    return out


@router.get(
    "/members",
    response={200: MemberPage, **problems(400, 404, 422)},
    operation_id="member_list",
    summary="List and search members in your scope",
)
def member_list(request: HttpRequest, query: Query[MemberQuery]) -> Any:
    """Members you may see, in name order (keyset pages: pass ``next_cursor`` back as ``cursor``)."""
    actor = _actor(request)
    after = None
    if query.cursor is not None:
        after = selectors.decode_cursor(query.cursor)
        if after is None:
            raise ApiProblem(400, "Invalid cursor.", code=ErrorCode.BAD_CURSOR)
    organisation = None
    if query.organisation is not None:
        organisation = (
            Organisation.objects.scoped(actor, Action.VIEW_ORGANISATION)
            .filter(code=query.organisation)
            .first()
        )
        if organisation is None:
            raise Http404
    filters = selectors.MemberFilters(
        q=query.q,
        organisation=organisation,
        status=query.status.value if query.status else "",
        gender=query.gender.value if query.gender else "",
        age_band=query.age_band or "",
    )
    rows = selectors.member_list(actor, filters, after=after, limit=query.limit + 1)
    return _page(rows, query.limit, selectors.encode_cursor)


@router.get(
    "/members/{member_id}",
    response={200: MemberOut, **problems(404, 422)},
    operation_id="member_get",
    summary="One member record",
)
def member_get(request: HttpRequest, member_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return get_scoped_or_404(Member, _actor(request), Action.VIEW_MEMBER, pk=member_id)


@router.post(
    "/members",
    response={201: MemberOut, **problems(400, 403, 422)},
    operation_id="member_create",
    summary="Create a member record in a cell of your scope",
)
def member_create(request: HttpRequest, payload: MemberIn) -> Any:
    actor = _actor(request)
    _require(actor, Organisation, Action.ADD_MEMBER)
    data = _member_fields(payload.model_dump())
    data["organisation"] = _target(actor, data["organisation"], Action.ADD_MEMBER, "organisation")
    return Status(201, services.member_create(actor=actor, data=data))


@router.patch(
    "/members/{member_id}",
    response={200: MemberOut, **problems(400, 404, 422)},
    operation_id="member_update",
    summary="Change a member record (only the fields sent)",
)
def member_update(
    request: HttpRequest, payload: MemberPatch, member_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    actor = _actor(request)
    member = get_scoped_or_404(Member, actor, Action.CHANGE_MEMBER, pk=member_id)
    changes = _member_fields(payload.model_dump(exclude_unset=True))
    reason = changes.pop("reason", "")
    if "organisation" in changes:
        changes["organisation"] = _target(
            actor, changes["organisation"], Action.CHANGE_MEMBER, "organisation"
        )
    return services.member_update(actor=actor, member=member, changes=changes, reason=reason)
