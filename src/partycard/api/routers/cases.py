"""Routes of the card exchange: campaigns, cases and their transitions, eligibility, background jobs.

The same rules as the web UI, through the same services and selectors. Scope: a case, member or job
outside the actor's subtree, or one the role may not act on, is the 404 of a missing one; a write by a role
that may do it nowhere is a 403. A transition the workflow refuses (wrong state, wrong level, member not
eligible) is a 409 listing every problem with its code; one refused only for its input (no reason, a
wrong ``return_to``) is a 422 naming the fields as well.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Path, Query, Router, Status

from partycard.accounts.roles import Action
from partycard.api.errors import ApiProblem
from partycard.api.routers.jobs import job_out
from partycard.api.schemas.exchange import (
    MAX_ID,
    BulkTransitionIn,
    CampaignOut,
    CaseCounts,
    CaseDetail,
    CaseIn,
    CasePage,
    CaseQuery,
    EligibilityOut,
    JobOut,
    TransitionIn,
)
from partycard.api.schemas.problems import problems
from partycard.cards import card_number
from partycard.core.errors import DomainError, ErrorCode
from partycard.core.scope import get_scoped_or_404, scope_path
from partycard.exchange import selectors, services
from partycard.exchange.jobs import start_evaluation, start_transition
from partycard.exchange.models import Campaign, Case
from partycard.exchange.workflow import TRANSITIONS, Transition
from partycard.registry.models import Member, Organisation

__all__ = ["router"]

router = Router(tags=["exchange"])

_LOCATION = {
    "Location": {
        "description": "The job's URL (GET /api/v1/jobs/{job_id}).",
        "required": True,
        "schema": {"type": "string"},
    }
}
_ACCEPTED = {"responses": {202: {"headers": _LOCATION}}}


def _actor(request: HttpRequest) -> Any:
    return request.auth.user  # type: ignore[attr-defined]


def _require(actor: Any, action: Action) -> None:
    """403 unless ``action`` reaches at least one organisation for the actor."""
    if not Organisation.objects.scoped(actor, action).exists():
        raise ApiProblem(403, "Your role may not do this.", code=ErrorCode.FORBIDDEN)


def _campaign(campaign_id: int | None) -> Campaign | None:
    """The campaign asked for (404 if there is none such), or by default the current open one."""
    if campaign_id is None:
        return selectors.campaign_current()
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return campaign


def _accepted(response: HttpResponse, job: Any) -> Status[dict[str, Any]]:
    response["Location"] = reverse("api-v1:job_get", kwargs={"job_id": job.pk})
    return Status(202, job_out(job))


# ---- campaigns -----------------------------------------------------------------------------------


@router.get(
    "/campaigns",
    response={200: list[CampaignOut], **problems()},
    operation_id="campaign_list",
    summary="The open exchange campaigns, latest cut-off first",
)
def campaign_list(request: HttpRequest) -> Any:
    return (
        Campaign.objects.filter(is_open=True).select_related("abroad_card_holder").order_by("-cut_off", "pk")
    )


@router.post(
    "/campaigns/{campaign_id}/evaluations",
    response={202: JobOut, **problems(403, 404, 422)},
    operation_id="campaign_evaluate",
    summary="Evaluate every member of your subtree for an open campaign (a background job)",
    openapi_extra=_ACCEPTED,
)
def campaign_evaluate(
    request: HttpRequest, response: HttpResponse, campaign_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    actor = _actor(request)
    _require(actor, Action.EVALUATE_CAMPAIGN)
    campaign = Campaign.objects.filter(pk=campaign_id, is_open=True).first()
    if campaign is None:
        raise Http404
    return _accepted(response, start_evaluation(actor=actor, campaign=campaign, path=scope_path(actor) or ""))


# ---- cases ---------------------------------------------------------------------------------------
# The fixed paths (/cases/counts, /cases/bulk-transitions) come before /cases/{case_id}: Django tries the
# patterns in order, and a path parameter matches any segment.


def _case_rows(actor: Any, campaign: Campaign, query: CaseQuery) -> QuerySet[Case]:
    """The cases the list shows, before paging (every filter only narrows the actor's scope)."""
    if query.waiting:
        cases = selectors.queue_for(actor, campaign)
    else:
        cases = selectors.cases_for(actor, campaign).select_related("member", "organisation")
    if query.state is not None:
        cases = cases.filter(state=query.state.value)
    if query.organisation is not None:
        org = get_scoped_or_404(Organisation, actor, Action.VIEW_ORGANISATION, code=query.organisation)
        cases = cases.filter(path__startswith=org.path)
    if query.card_number is not None:
        cases = cases.filter(card_number=card_number.normalise(query.card_number))
    return cases


@router.get(
    "/cases",
    response={200: CasePage, **problems(400, 404, 422)},
    operation_id="case_list",
    summary="List the cases of a campaign in your scope, or your queue",
)
def case_list(request: HttpRequest, query: Query[CaseQuery]) -> Any:
    """Cases you may see, oldest first (keyset pages: pass ``next_cursor`` back as ``cursor``)."""
    actor = _actor(request)
    after = 0
    if query.cursor is not None:
        if not query.cursor.isascii() or not query.cursor.isdigit():
            raise ApiProblem(400, "Invalid cursor.", code=ErrorCode.BAD_CURSOR)
        after = min(int(query.cursor), MAX_ID)  # after the largest id: the end of the list
    if query.card_number is not None:
        reason = card_number.problem(query.card_number)
        if reason is not None:
            raise DomainError(f"Not a card number: {reason}.", field="card_number")
    campaign = _campaign(query.campaign)
    if campaign is None:
        return {"items": [], "next_cursor": None}
    rows = list(_case_rows(actor, campaign, query).filter(pk__gt=after).order_by("pk")[: query.limit + 1])
    items = rows[: query.limit]
    return {"items": items, "next_cursor": str(items[-1].pk) if len(rows) > query.limit else None}


@router.get(
    "/cases/counts",
    response={200: CaseCounts, **problems(404, 422)},
    operation_id="case_counts",
    summary="How many cases of a campaign are in each state, in your scope",
)
def case_counts(request: HttpRequest, campaign: int | None = Query(None, ge=1, le=MAX_ID)) -> Any:
    found = _campaign(campaign)
    if found is None:
        raise Http404
    return {"campaign": found.pk, "counts": selectors.state_counts(_actor(request), found)}


@router.post(
    "/cases/bulk-transitions",
    response={202: JobOut, **problems(400, 403, 422)},
    operation_id="case_bulk_transition",
    summary="Move many cases in a background job; each case that may not move is reported with why",
    openapi_extra=_ACCEPTED,
)
def case_bulk_transition(request: HttpRequest, response: HttpResponse, payload: BulkTransitionIn) -> Any:
    actor = _actor(request)
    _require(actor, Action.CHANGE_CASE)
    if TRANSITIONS[payload.transition].needs_reason and not payload.reason.strip():
        raise DomainError("A reason is required.", field="reason")
    if payload.transition is Transition.RETURN and payload.return_to is None:
        raise DomainError("Say which level the cases go back to.", field="return_to")
    job = start_transition(
        actor=actor,
        transition=payload.transition,
        targets=payload.case_ids,
        reason=payload.reason.strip(),
        return_to=payload.return_to,
    )
    return _accepted(response, job)


@router.get(
    "/cases/{case_id}",
    response={200: CaseDetail, **problems(404, 422)},
    operation_id="case_get",
    summary="One case with its timeline",
)
def case_get(request: HttpRequest, case_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return get_scoped_or_404(Case, _actor(request), Action.VIEW_CASE, pk=case_id)


@router.post(
    "/cases",
    response={201: CaseDetail, **problems(400, 403, 409, 422)},
    operation_id="case_propose",
    summary="Propose a member of your cell for a new card",
)
def case_propose(request: HttpRequest, payload: CaseIn) -> Any:
    actor = _actor(request)
    _require(actor, Action.CHANGE_CASE)
    campaign = Campaign.objects.filter(pk=payload.campaign, is_open=True).first()
    if campaign is None:
        raise DomainError("No open campaign has this id.", field="campaign")
    member = (
        Member.objects.scoped(actor, Action.VIEW_MEMBER)
        .select_related("organisation")
        .filter(pk=payload.member)
        .first()
    )
    if member is None:
        raise DomainError("No member has this id.", field="member")
    # A refusal raises CaseError with every reason, coded (the error handler answers 409 or 422).
    return Status(201, services.case_propose(actor=actor, campaign=campaign, member=member))


@router.post(
    "/cases/{case_id}/transitions",
    response={200: CaseDetail, **problems(400, 404, 409, 422)},
    operation_id="case_transition",
    summary="Move one case (confirm, decide, accept, return, reject, …)",
)
def case_transition(
    request: HttpRequest, payload: TransitionIn, case_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    actor = _actor(request)
    case = get_scoped_or_404(Case, actor, Action.CHANGE_CASE, pk=case_id)
    return services.case_transition(  # a refusal: CaseError with every reason, coded
        actor=actor,
        case=case,
        transition=payload.transition,
        reason=payload.reason,
        return_to=payload.return_to,
    )


# ---- eligibility ---------------------------------------------------------------------------------


@router.get(
    "/members/{member_id}/eligibility",
    response={200: EligibilityOut, **problems(404, 422)},
    operation_id="member_eligibility",
    summary="Whether a member may get a new card in a campaign, with every reason (computed now)",
)
def member_eligibility(
    request: HttpRequest,
    member_id: int = Path(..., ge=1, le=MAX_ID),
    campaign: int | None = Query(None, ge=1, le=MAX_ID),
) -> Any:
    member = get_scoped_or_404(Member, _actor(request), Action.VIEW_MEMBER, pk=member_id)
    found = _campaign(campaign)
    if found is None:
        raise Http404
    verdict = services.verdict_of(member, found)
    return {
        "member": member.pk,
        "campaign": found.pk,
        "eligible": verdict.eligible,
        "postponed": verdict.postponed,
        "reasons": [
            {
                "code": r.code.value,
                "message_vi": services.reason_vi(r),
                "message_en": r.message_en,
                "postpones": r.postpones,
            }
            for r in verdict.reasons
        ],
    }
