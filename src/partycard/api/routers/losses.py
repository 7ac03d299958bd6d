"""Routes of lost and damaged cards (issue 16); the same scope rules as the pages.

Officers (bearer tokens): the reports in scope, one report, a report filed by the cell for a member (the
two 2×3 cm photos as multipart files), a step (list, compile, decide, refuse, close), a report's photo,
the forms 2-TDV … 4-TDV as PDF, and the recovery of an ended member's card. The member (the member's app,
their session: ``MemberSessionAuth``): ``GET/POST me/losses``. A report outside the actor's scope is the
404 of a missing one; a role that may do a write nowhere is a 403; a step the workflow refuses is a 409
listing every reason; refused photos are a 422 on ``photos``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Path, Query, Router, Status
from ninja.files import UploadedFile

from partycard.accounts.roles import Action
from partycard.api.auth import MemberSessionAuth
from partycard.api.errors import ApiProblem
from partycard.api.schemas.losses import MAX_ID, LossIn, LossOut, MyLossIn, RecoveryIn, RecoveryOut, StepIn
from partycard.api.schemas.problems import problems
from partycard.cards.models import Card
from partycard.core.errors import DomainError, ErrorCode
from partycard.core.scope import get_scoped_or_404
from partycard.losses import documents, selectors, services
from partycard.losses.photos import MAX_BYTES
from partycard.losses.workflow import Form as PaperForm
from partycard.registry.models import Member, Organisation

__all__ = ["router"]

router = Router(tags=["losses"])
"""Lost or damaged party cards: the member's report, the card suspended at once, the forms 2-TDV, 3-TDV,
2A-TDV, 3A-TDV and 4-TDV at their levels, the committee's decision and the reissue."""

_PDF = {
    "responses": {
        200: {
            "description": "The form (PDF)",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}
_JPEG = {
    "responses": {
        200: {
            "description": "The photo (JPEG)",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _actor(request: HttpRequest) -> Any:
    return request.auth.user  # type: ignore[attr-defined]


def _require(actor: Any, action: Action) -> None:
    if not Organisation.objects.scoped(actor, action).exists():
        raise ApiProblem(403, "Your role may not do this.", code=ErrorCode.FORBIDDEN)


def _only(request: HttpRequest, *names: str) -> None:
    """A query parameter the route does not know is refused (422), not silently ignored: a typo in a
    filter must not widen the answer."""
    unknown = sorted(set(request.GET) - set(names))
    if unknown:
        raise DomainError(f"Unknown query parameter: {unknown[0]}.", field=unknown[0][:50])


def _read(files: list[UploadedFile]) -> list[bytes]:
    """The uploads' bytes; one over the limit is refused without reading it whole."""
    out = []
    for f in files:
        if (f.size or 0) > MAX_BYTES:
            out.append(b"\0" * (MAX_BYTES + 1))  # photo_clean refuses it as too large
            continue
        out.append(f.read(MAX_BYTES + 1))
    return out


@router.get(
    "/losses",
    response={200: list[LossOut], **problems(422)},
    operation_id="loss_list",
    summary="Lost or damaged card reports in your scope, newest first",
)
def loss_list(
    request: HttpRequest,
    state: str = Query("", pattern="^(|reported|listed|compiled|decided|reissued|refused)$"),
    limit: int = Query(100, ge=1, le=500),
) -> Any:
    _only(request, "state", "limit")
    return list(selectors.loss_list(_actor(request), state=state)[:limit])


@router.post(
    "/losses",
    response={201: LossOut, **problems(403, 404, 409, 413, 422)},
    operation_id="loss_report",
    summary="Report a member's card lost or damaged, with the two 2×3 cm photos (the card is suspended)",
)
def loss_report(request: HttpRequest, payload: Form[LossIn], photos: File[list[UploadedFile]]) -> Any:
    actor = _actor(request)
    _require(actor, Action.REPORT_LOSS)
    found = (
        Member.objects.scoped(actor, Action.VIEW_MEMBER)
        .select_related("organisation")
        .filter(pk=payload.member)
        .first()
    )
    if found is None:
        raise DomainError("No member has this id.", field="member")
    report = services.loss_report(
        actor=actor,
        member=found,
        kind=payload.kind,
        circumstances=payload.circumstances,
        photos=_read(photos),
        good_reason=payload.good_reason,
    )
    return Status(201, report)


@router.get(
    "/losses/forms/{form}",
    response={**problems(403, 404, 422)},
    openapi_extra=_PDF,
    operation_id="loss_form",
    summary="A form (2-TDV, 3-TDV, 2A-TDV, 3A-TDV, 4-TDV) of an organisation's step on a day, as PDF",
)
def loss_form(
    request: HttpRequest,
    form: PaperForm,
    day: str = Query(..., pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="YYYY-MM-DD"),
    organisation: str = Query("", max_length=50),
    place: str = Query("", max_length=100),
) -> Any:
    _only(request, "day", "organisation", "place")
    try:
        on = dt.date.fromisoformat(day)
    except ValueError as e:
        raise DomainError("Not a date.", field="day") from e
    actor = _actor(request)
    org = getattr(actor, "organisation", None) if not organisation else None
    if organisation:
        org = get_scoped_or_404(Organisation, actor, Action.VIEW_LOSS, code=organisation)
    if org is None:
        raise ApiProblem(404, "No such record.", code=ErrorCode.NOT_FOUND)
    data = selectors.form_data(actor, form, org, on, place)
    response = HttpResponse(documents.form_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{form.value}-{on.isoformat()}.pdf"'
    return response


@router.get(
    "/losses/recoveries",
    response={200: list[RecoveryOut], **problems(422)},
    operation_id="recovery_list",
    summary="The recorded recoveries of ended members' cards in your scope",
)
def recovery_list(request: HttpRequest) -> Any:
    return list(selectors.recovery_list(_actor(request))[:500])


@router.post(
    "/losses/recoveries",
    response={201: RecoveryOut, **problems(403, 404, 409, 422)},
    operation_id="recovery_record",
    summary="Record the recovery of the card of a member who died, was expelled or removed, or resigned",
)
def recovery_record(request: HttpRequest, payload: RecoveryIn) -> Any:
    actor = _actor(request)
    _require(actor, Action.CHANGE_LOSS)
    member = (
        Member.objects.scoped(actor, Action.VIEW_MEMBER)
        .select_related("organisation")
        .filter(pk=payload.member)
        .first()
    )
    if member is None:
        raise DomainError("No member has this id.", field="member")
    card = Card.objects.scoped(actor, Action.VIEW_CARD).filter(number=payload.card_number).first()
    if card is None:
        raise DomainError("No card has this number.", field="card_number")
    return Status(201, services.recovery_record(actor=actor, member=member, card=card, note=payload.note))


@router.get(
    "/losses/{report_id}",
    response={200: LossOut, **problems(404, 422)},
    operation_id="loss_get",
    summary="One report",
)
def loss_get(request: HttpRequest, report_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return selectors.loss_get(_actor(request), report_id)


@router.post(
    "/losses/{report_id}/steps",
    response={200: LossOut, **problems(403, 404, 409, 422)},
    operation_id="loss_step",
    summary="Take a step on a report: list, compile, decide (the reissue), refuse, close",
)
def loss_step(request: HttpRequest, payload: StepIn, report_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    actor = _actor(request)
    _require(actor, Action.CHANGE_LOSS)
    report = selectors.loss_get(actor, report_id, Action.CHANGE_LOSS)
    return services.loss_step(
        actor=actor, report=report, step=payload.step, reason=payload.reason, good_reason=payload.good_reason,
        decision_number=payload.decision_number,
    )  # fmt: skip


@router.get(
    "/losses/{report_id}/photos/{photo_id}",
    response={**problems(404, 422)},
    openapi_extra=_JPEG,
    operation_id="loss_photo",
    summary="A report's photo (JPEG, metadata removed)",
)
def loss_photo(
    request: HttpRequest,
    report_id: int = Path(..., ge=1, le=MAX_ID),
    photo_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    actor = _actor(request)
    photo = selectors.loss_photo(actor, selectors.loss_get(actor, report_id), photo_id)
    response = HttpResponse(bytes(photo.content), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


# ---- the member's app (their session) --------------------------------------------------------------


@router.get(
    "/me/losses",
    auth=MemberSessionAuth(),
    response={200: list[LossOut], **problems()},
    operation_id="me_loss_list",
    summary="Your own reports of a lost or damaged card",
)
def me_loss_list(request: HttpRequest) -> Any:
    return list(selectors.member_loss_list(request.auth)[:100])  # type: ignore[attr-defined]


@router.post(
    "/me/losses",
    auth=MemberSessionAuth(),
    response={201: LossOut, **problems(403, 404, 409, 413, 422)},
    operation_id="me_loss_report",
    summary="Report your card lost or damaged, with two 2×3 cm photos: it is suspended at once",
)
def me_loss_report(request: HttpRequest, payload: Form[MyLossIn], photos: File[list[UploadedFile]]) -> Any:
    actor: Any = request.auth  # type: ignore[attr-defined]
    member = Member.objects.select_related("organisation").get(pk=actor.member_id)
    report = services.loss_report(
        actor=actor,
        member=member,
        kind=payload.kind,
        circumstances=payload.circumstances,
        photos=_read(photos),
    )
    return Status(201, report)
