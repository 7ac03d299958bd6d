"""A case's page (member, state, card number, timeline, the buttons the officer may press) and the one
transition those buttons post; the service decides, and its refusal is shown in the workflow's words."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action
from partycard.cards.card_number import format_number
from partycard.core.redirects import next_url
from partycard.core.scope import get_scoped_or_404
from partycard.exchange import selectors
from partycard.exchange.forms import CaseTransitionForm
from partycard.exchange.models import Case
from partycard.exchange.services import CaseError, case_transition, reasons_vi, verdict_of
from partycard.exchange.views.common import MANUAL, moves_for, timeline_rows, top_level, verdict_label
from partycard.exchange.wording import transition_label

__all__ = ["case_act", "case_detail"]


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_scoped_or_404(Case, request.user, Action.VIEW_CASE, pk=pk)
    verdict = verdict_of(case.member, case.campaign)
    css, label = verdict_label(verdict)
    context: dict[str, Any] = {
        "case": case,
        "member": case.member,
        "card_number": format_number(case.card_number) if case.card_number else "",
        "timeline": timeline_rows(selectors.case_events(case)),
        "moves": moves_for(request.user, case, verdict=verdict),
        "verdict": verdict,
        "reasons": reasons_vi(verdict),
        "verdict_class": css,
        "verdict_label": label,
        "here": reverse("exchange:case_detail", args=[case.pk]),
    }
    return render(request, "exchange/case_detail.html", context)


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int) -> HttpResponse:
    """One transition of one case. Outside the actor's scope for changes: the same 404 as a missing case."""
    case = get_scoped_or_404(Case, request.user, Action.CHANGE_CASE, pk=pk)
    back = next_url(request, reverse("exchange:case_detail", args=[case.pk]))
    top = top_level(selectors.can_act(request.user, case))
    form = CaseTransitionForm(request.POST, transitions=MANUAL, top=top)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    data = form.cleaned_data
    try:
        case_transition(
            actor=request.user,
            case=case,
            transition=data["transition"],
            reason=data["reason"],
            return_to=data["return_to"],
        )
    except CaseError as e:
        for problem in e.problems:
            messages.error(request, problem.message_vi)
    else:
        label = transition_label(data["transition"])
        messages.success(request, _("Done: %(action)s.") % {"action": label})
    return redirect(back)
