"""Routes of transfers of party activity (issue 16); the same scope rules as the pages.

Both sides see a transfer (its sending or receiving cell in their subtree); each acts only on its own
steps, and anything else is the 404 of a missing transfer. A step the workflow refuses (wrong state, a
deadline passed, the member under inspection or complaint review) is a 409; an e-card that is not valid or
not this member's is a 409 too. The member reads their own transfers at ``GET /me/transfers`` with their
session (``MemberSessionAuth``).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Path, Query, Router, Status

from partycard.accounts.roles import Action
from partycard.api.auth import MemberSessionAuth
from partycard.api.routers.access import actor_of, require_action
from partycard.api.schemas.problems import problems
from partycard.api.schemas.transfers import (
    MAX_ID,
    TransferEventOut,
    TransferIn,
    TransferOut,
    TransferPage,
    TransferQuery,
    TransferReasonIn,
    TransferReceiveIn,
)
from partycard.core import clock
from partycard.core.errors import DomainError
from partycard.registry.models import Member, Organisation
from partycard.transfers import selectors, services
from partycard.transfers.models import Transfer

__all__ = ["router"]

router = Router(tags=["transfers"])


def _out(transfer: Transfer) -> dict[str, Any]:
    def org(o: Organisation) -> dict[str, str]:
        return {"code": o.code, "name": o.name}

    issued = bool(transfer.letter_pdf)
    return {
        **{f: getattr(transfer, f) for f in (
            "id", "kind", "state", "reason", "decided_on", "start_deadline", "until", "number",
            "issued_on", "present_deadline", "card_number", "closing_reason",
        )},
        "member": transfer.member_id,
        "member_name": transfer.member.full_name,
        "from_cell": org(transfer.from_cell),
        "to_cell": org(transfer.to_cell),
        "committee": org(transfer.committee),
        "letter_url": (
            reverse("api-v1:transfer_letter", kwargs={"transfer_id": transfer.pk}) if issued else None
        ),
        "signature_url": (
            reverse("api-v1:transfer_signature", kwargs={"transfer_id": transfer.pk}) if issued else None
        ),
        "overdue": sorted(selectors.overdue(transfer, clock.today())),
    }  # fmt: skip


def _get(request: HttpRequest, transfer_id: int, action: str = Action.VIEW_TRANSFER) -> Transfer:
    return selectors.transfer_get(actor_of(request), transfer_id, action)


@router.get(
    "/transfers",
    response={200: TransferPage, **problems(400, 422)},
    operation_id="transfer_list",
    summary="Transfers of party activity out of or into your subtree, newest first",
)
def transfer_list(request: HttpRequest, query: Query[TransferQuery]) -> Any:
    found = selectors.transfer_list(
        actor_of(request),
        state=query.state.value if query.state else "",
        kind=query.kind.value if query.kind else "",
        side=query.side or "",
    ).order_by("-pk")
    if query.cursor is not None:
        found = found.filter(pk__lt=int(query.cursor or 0) or 1)
    rows = list(found[: query.limit + 1])
    items = rows[: query.limit]
    return {
        "items": [_out(t) for t in items],
        "next_cursor": str(items[-1].pk) if len(rows) > query.limit else None,
    }


@router.post(
    "/transfers",
    response={201: TransferOut, **problems(400, 403, 404, 409, 422)},
    operation_id="transfer_create",
    summary="Draft the transfer of a member of your subtree to a party cell",
)
def transfer_create(request: HttpRequest, payload: TransferIn) -> Any:
    actor = actor_of(request)
    require_action(actor, Action.CHANGE_TRANSFER)
    member = Member.objects.scoped(actor, Action.CHANGE_TRANSFER).filter(pk=payload.member).first()
    if member is None:
        raise Http404
    to_cell = Organisation.objects.filter(code=payload.to_cell.upper()).first()
    if to_cell is None:
        raise DomainError("No party cell has this code.", field="to_cell")
    transfer = services.transfer_create(
        actor=actor, member=member, kind=payload.kind.value, to_cell=to_cell, decided_on=payload.decided_on,
        reason=payload.reason, until=payload.until,
    )  # fmt: skip
    return Status(201, _out(transfer))


@router.get(
    "/transfers/{transfer_id}",
    response={200: TransferOut, **problems(404, 422)},
    operation_id="transfer_get",
    summary="One transfer",
)
def transfer_get(request: HttpRequest, transfer_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return _out(_get(request, transfer_id))


@router.get(
    "/transfers/{transfer_id}/events",
    response={200: list[TransferEventOut], **problems(404, 422)},
    operation_id="transfer_events",
    summary="The steps taken on a transfer, oldest first",
)
def transfer_events(request: HttpRequest, transfer_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    transfer = _get(request, transfer_id)
    return list(selectors.transfer_events(actor_of(request), transfer))


def _step(request: HttpRequest, transfer_id: int, call: Any) -> Any:
    actor = actor_of(request)
    require_action(actor, Action.CHANGE_TRANSFER)
    return _out(call(actor, _get(request, transfer_id, Action.CHANGE_TRANSFER)))


@router.post(
    "/transfers/{transfer_id}/issue",
    response={200: TransferOut, **problems(403, 404, 409, 422)},
    operation_id="transfer_issue",
    summary="Issue the introduction letter (the sending committee): numbered, generated and signed",
)
def transfer_issue(request: HttpRequest, transfer_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return _step(request, transfer_id, lambda a, t: services.transfer_issue(actor=a, transfer=t))


@router.post(
    "/transfers/{transfer_id}/receive",
    response={200: TransferOut, **problems(403, 404, 409, 422)},
    operation_id="transfer_receive",
    summary="Receive the member on their e-card (the receiving side)",
)
def transfer_receive(
    request: HttpRequest, payload: TransferReceiveIn, transfer_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    return _step(
        request, transfer_id,
        lambda a, t: services.transfer_receive(
            actor=a, transfer=t, qr=payload.qr, sd_jwt=payload.sd_jwt, audience=payload.audience,
            nonce=payload.nonce,
        ),
    )  # fmt: skip


@router.post(
    "/transfers/{transfer_id}/complete",
    response={200: TransferOut, **problems(403, 404, 409, 422)},
    operation_id="transfer_complete",
    summary="Complete the transfer (the receiving side): the member's record, case and card follow",
)
def transfer_complete(request: HttpRequest, transfer_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return _step(request, transfer_id, lambda a, t: services.transfer_complete(actor=a, transfer=t))


@router.post(
    "/transfers/{transfer_id}/cancel",
    response={200: TransferOut, **problems(403, 404, 409, 422)},
    operation_id="transfer_cancel",
    summary="Cancel the transfer (the sending side), with a reason",
)
def transfer_cancel(
    request: HttpRequest, payload: TransferReasonIn, transfer_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    return _step(
        request,
        transfer_id,
        lambda a, t: services.transfer_cancel(actor=a, transfer=t, reason=payload.reason),
    )


@router.post(
    "/transfers/{transfer_id}/refuse",
    response={200: TransferOut, **problems(403, 404, 409, 422)},
    operation_id="transfer_refuse",
    summary="Refuse the transfer (the receiving side), with a reason",
)
def transfer_refuse(
    request: HttpRequest, payload: TransferReasonIn, transfer_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    return _step(
        request,
        transfer_id,
        lambda a, t: services.transfer_refuse(actor=a, transfer=t, reason=payload.reason),
    )


def _file(body: bytes, media_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get(
    "/transfers/{transfer_id}/letter",
    response={200: None, **problems(404, 422)},
    operation_id="transfer_letter",
    summary="The introduction letter (PDF)",
    openapi_extra={"responses": {200: {"description": "The PDF", "content": {"application/pdf": {}}}}},
)
def transfer_letter(request: HttpRequest, transfer_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    transfer = _get(request, transfer_id)
    if not transfer.letter_pdf:
        raise Http404
    return _file(bytes(transfer.letter_pdf), "application/pdf", f"giay-gioi-thieu-{transfer.pk}.pdf")


@router.get(
    "/transfers/{transfer_id}/letter-signature",
    response={200: None, **problems(404, 422)},
    operation_id="transfer_signature",
    summary="The letter's CMS signature (DER)",
    openapi_extra={
        "responses": {200: {"description": "CMS SignedData", "content": {"application/pkcs7-signature": {}}}}
    },
)
def transfer_signature(request: HttpRequest, transfer_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    transfer = _get(request, transfer_id)
    if not transfer.letter_signature:
        raise Http404
    return _file(
        bytes(transfer.letter_signature), "application/pkcs7-signature", f"giay-gioi-thieu-{transfer.pk}.p7s"
    )


@router.get(
    "/me/transfers",
    auth=MemberSessionAuth(),
    response={200: list[TransferOut], **problems()},
    operation_id="me_transfers",
    summary="The member's own transfers (the member's session)",
)
def me_transfers(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    return [_out(t) for t in selectors.transfer_list(user)[:100]]
