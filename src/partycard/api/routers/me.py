"""Routes of the member's app (issue 16): the member's own record, cards and devices, with the member's
session (``MemberSessionAuth``: members get no tokens) and the same scope rules as the pages. Every
answer is the member's own data; another member's device is the 404 of a missing one.

The other ``me/…`` routes (meetings, dues, transfers, losses) are their apps' (docs/procedures.md).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Router, Status

from partycard.accounts.roles import Action
from partycard.api.auth import MemberSessionAuth
from partycard.api.errors import ApiProblem
from partycard.api.schemas.me import CardOut, DeviceIn, DeviceOut, DeviceRegistered, MeOut
from partycard.api.schemas.problems import problems
from partycard.core.errors import ErrorCode
from partycard.memberapp import selectors, services
from partycard.registry.models import Member

__all__ = ["router"]

router = Router(tags=["me"], auth=MemberSessionAuth())

MAX_ID = 2**63 - 1


def _me(request: HttpRequest) -> tuple[Any, Member]:
    actor = request.auth  # type: ignore[attr-defined]  # MemberSessionAuth: the member's user
    member = selectors.own_member(actor)
    if member is None:
        raise ApiProblem(403, "Only a party member has this.", code=ErrorCode.FORBIDDEN)
    return actor, member


@router.get(
    "/me", response={200: MeOut, **problems(403)}, operation_id="me_get", summary="The member's own record"
)
def me_get(request: HttpRequest) -> Member:
    return _me(request)[1]


@router.get(
    "/me/cards",
    response={200: list[CardOut], **problems(403)},
    operation_id="me_cards",
    summary="The member's cards and each card's state and history, newest first",
)
def me_cards(request: HttpRequest) -> list[CardOut]:
    actor, member = _me(request)
    return [CardOut.from_card(card, events) for card, events in selectors.own_cards(actor, member)]


@router.get(
    "/me/devices",
    response={200: list[DeviceOut], **problems(403)},
    operation_id="me_devices",
    summary="The member's registered phones, newest first",
)
def me_devices(request: HttpRequest) -> Any:
    actor, member = _me(request)
    return list(selectors.device_list(actor, member))


@router.post(
    "/me/devices",
    response={201: DeviceRegistered, **problems(400, 403, 409, 422)},
    operation_id="me_device_register",
    summary="Register the phone's P-256 key and receive the e-card bound to it (earlier e-cards revoked)",
)
def me_device_register(request: HttpRequest, body: DeviceIn) -> Any:
    actor, _member = _me(request)
    device = services.device_register(
        actor=actor,
        spki=body.spki,  # type: ignore[arg-type]  # bytes after the validator
        label=body.label,
        user_agent=request.headers.get("User-Agent", ""),
    )
    return Status(201, device)


@router.post(
    "/me/devices/{device_id}/revoke",
    response={200: DeviceOut, **problems(403, 404, 422)},
    operation_id="me_device_revoke",
    summary="Revoke one of the member's phones (lost): its e-card reads revoked from now on",
)
def me_device_revoke(request: HttpRequest, device_id: Path[int]) -> Any:
    actor, _member = _me(request)
    if not 0 < device_id <= MAX_ID:
        raise ApiProblem(404, "No such record.")
    device = selectors.device_get(actor, device_id, Action.CHANGE_DEVICE)
    return services.device_revoke(actor=actor, device=device)
