"""The cell page: the secretary's members with their verdicts and reasons, the proposal form, and the
cases waiting at the cell (hand over the new card, recover the old one, resubmit a returned case).

A cell is small: proposing runs at once (``cases_propose``), not as a background job.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partycard.accounts.roles import Action, allowed
from partycard.cards.selectors import cards_waiting_at_cell
from partycard.cards.views import card_moves
from partycard.core.scope import get_scoped_or_404, role_of, scope_path
from partycard.exchange import selectors
from partycard.exchange.forms import ProposeForm
from partycard.exchange.models import Campaign
from partycard.exchange.selectors import Candidate
from partycard.exchange.services import actor_levels
from partycard.exchange.services.cases import BulkOutcome, cases_propose
from partycard.exchange.views.common import moves_for, verdict_label
from partycard.exchange.wording import transition_label
from partycard.exchange.workflow import Level, Transition
from partycard.registry.choices import MEMBER_HOLDING_LEVELS
from partycard.registry.models import Organisation

__all__ = ["cell_page"]


def _cell(request: HttpRequest) -> Organisation | None:
    """The cell shown: ``?to_chuc=CODE`` (a cell in the actor's scope), else the actor's own cell; None when
    an officer above the cells has not named one yet. Anything else is the same 404."""
    user = request.user
    if not allowed(role_of(user) or "", Action.VIEW_CASE) or scope_path(user) is None:
        raise Http404(_("No such record."))
    code = (request.GET.get("to_chuc") or "").strip().upper()
    if code:
        cell = get_scoped_or_404(Organisation, user, Action.VIEW_MEMBER, code=code)
    else:
        own = getattr(user, "organisation", None)
        if own is None or own.level not in MEMBER_HOLDING_LEVELS:
            return None
        cell = get_scoped_or_404(Organisation, user, Action.VIEW_MEMBER, pk=own.pk)
    if cell.level not in MEMBER_HOLDING_LEVELS:
        raise Http404(_("No such record."))
    return cell


def _url(cell: Organisation) -> str:
    return f"{reverse('exchange:cell')}?{urlencode({'to_chuc': cell.code})}"


@login_required
def cell_page(request: HttpRequest) -> HttpResponse:
    """``?to_chuc=CODE`` names the cell (officers above it); a POST proposes the ticked members."""
    cell = _cell(request)
    campaign = selectors.campaign_current()
    if cell is None or campaign is None:
        example = selectors.organisation_code_example(request.user, cells=True) if cell is None else ""
        return render(
            request, "exchange/cell.html", {"cell": cell, "campaign": campaign, "code_example": example}
        )
    user = request.user
    candidates = selectors.cell_candidates(user, campaign, cell)
    form = ProposeForm(request.POST or None, member_ids=[c.member.pk for c in candidates])
    if request.method == "POST":
        if not allowed(role_of(user) or "", Action.CHANGE_CASE):
            raise Http404(_("No such record."))
        if form.is_valid():
            outcome = cases_propose(actor=user, campaign=campaign, member_ids=form.cleaned_data["members"])
            _report(request, outcome, candidates)
            return redirect(_url(cell))
    levels = actor_levels(user, cell.path)
    context: dict[str, Any] = {
        "cell": cell,
        "campaign": campaign,
        "form": form,
        "rows": [_row(c) for c in candidates],
        "can_propose": Level.CELL in levels
        and campaign.is_open
        and allowed(role_of(user) or "", Action.CHANGE_CASE)
        and any(c.can_propose for c in candidates),
        "propose_label": transition_label(Transition.PROPOSE),
        "waiting": _waiting(user, campaign, cell, candidates) if Level.CELL in levels else None,
        "cards": _cards(user, campaign, cell) if Level.CELL in levels else None,
        "here": _url(cell),
    }
    return render(request, "exchange/cell.html", context)


def _row(c: Candidate) -> dict[str, Any]:
    css, label = verdict_label(c.verdict)
    return {"candidate": c, "verdict_class": css, "verdict_label": label}


def _waiting(user: Any, campaign: Campaign, cell: Organisation, candidates: list[Candidate]) -> list[Any]:
    """The cell's cases whose next step is the cell's, each with the buttons the secretary may press."""
    verdicts = {c.member.pk: c.verdict for c in candidates}
    cases = selectors.queue_for(user, campaign).filter(organisation=cell)
    return [(case, moves_for(user, case, verdict=verdicts.get(case.member_id))) for case in cases]


def _cards(user: Any, campaign: Campaign, cell: Organisation) -> list[Any]:
    """The cards waiting for the cell (to hand over, to take back), each with the steps the secretary may
    take; old cards are taken back only when the campaign says so (``Campaign.recover_old_cards``)."""
    cards = cards_waiting_at_cell(user, cell, recover_old=campaign.recover_old_cards)
    return [(card, card_moves(user, card)) for card in cards[:200]]


def _report(request: HttpRequest, outcome: BulkOutcome, candidates: list[Candidate]) -> None:
    """Say how many were proposed, and for each member refused, every reason (the verdict's included)."""
    if outcome.succeeded:
        n = len(outcome.succeeded)
        messages.success(
            request, ngettext("%(n)d member was proposed.", "%(n)d members were proposed.", n) % {"n": n}
        )
    by_id = {c.member.pk: c for c in candidates}
    for failure in outcome.failures:
        candidate = by_id.get(failure.target_id)
        name = candidate.member.full_name if candidate else f"#{failure.target_id}"
        messages.error(request, f"{name}: {failure.message_vi}")  # the eligibility reasons included
