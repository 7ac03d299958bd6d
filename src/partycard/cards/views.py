"""The card's page: its state, where it is, its history, and the steps this officer may take now.

Thin: one selector, one service call per POST. Outside the actor's scope a card is the same 404 as a
missing one; a refused step says every reason. A step that cannot be undone (``lifecycle.IRREVERSIBLE``:
revoke, report lost, destroy) needs its box ``confirmed`` ticked, as on the exchange's case page: the box
is ``required`` in the page, and this view refuses the step without it whatever the browser does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action
from partycard.cards.lifecycle import (
    ACTIVE_LIKE,
    IRREVERSIBLE,
    TRANSITIONS,
    CardKind,
    CardLevel,
    CardState,
    CardTransition,
    check,
)
from partycard.cards.models import Card
from partycard.cards.selectors import card_actor_levels, card_history, card_route, member_cards
from partycard.cards.services import CardError, card_transition
from partycard.core.redirects import next_url
from partycard.core.scope import OutOfScope, get_scoped_or_404
from partycard.registry.models import Member
from partycard.registry.panels import PanelContent

__all__ = ["LABELS", "PANEL_ORDER", "card_act", "card_detail", "card_moves", "member_cards_panel"]

PANEL_ORDER = 100  # on the member page, before the exchange's cases (200)

# The steps an officer takes on a page, with their labels (the rest are the system's: allocate, register
# the old card, supersede; production's steps are the batch's: production/services).
LABELS: dict[CardTransition, Any] = {
    CardTransition.SEND: gettext_lazy("Send down to the next level"),
    CardTransition.RECEIVE: gettext_lazy("Confirm receipt"),
    CardTransition.HAND_OVER: gettext_lazy("Hand the card to the member"),
    CardTransition.REPORT_LOST: gettext_lazy("Report lost"),
    CardTransition.REPORT_DAMAGED: gettext_lazy("Report damaged"),
    CardTransition.SUSPEND: gettext_lazy("Suspend"),
    CardTransition.REINSTATE: gettext_lazy("Reinstate"),
    CardTransition.REVOKE: gettext_lazy("Revoke"),
    CardTransition.RECOVER: gettext_lazy("Record the card recovered"),
    CardTransition.DESTROY: gettext_lazy("Record the card destroyed"),
}


@dataclass(frozen=True)
class Move:
    transition: CardTransition
    label: str
    needs_reason: bool
    irreversible: bool = False


def card_moves(actor: Any, card: Card) -> list[Move]:
    """The steps ``actor`` may take on ``card`` now (what ``lifecycle.check`` allows at their levels)."""
    if not Card.objects.scoped(actor, Action.CHANGE_CARD).filter(pk=card.pk).exists():
        return []
    levels = card_actor_levels(actor, card_route(card.member.organisation))
    at_level = CardLevel(card.level) if card.level else None
    moves = []
    for transition, label in LABELS.items():
        problems = check(
            transition,
            state=CardState(card.state),
            kind=CardKind(card.kind),
            actor_levels=levels,
            reason="-",
            at_level=at_level,
        )
        if not problems:
            moves.append(
                Move(
                    transition,
                    str(label),
                    TRANSITIONS[transition].needs_reason,
                    irreversible=transition in IRREVERSIBLE,
                )
            )
    return moves


def member_cards_panel(request: HttpRequest, member: Member) -> PanelContent:
    """The registry's member page shows the member's cards (registered in ``CardsConfig.ready``): each with
    its state and, for the viewer who may act, the steps they may take; the card in use first."""
    cards = list(member_cards(request.user, member))
    if not cards:
        return None
    cards.sort(key=lambda c: (c.state not in {s.value for s in ACTIVE_LIKE}, c.kind != CardKind.NEW))
    return "cards/_member_cards.html", {
        "member_cards": [(card, card_moves(request.user, card)) for card in cards],
        "here": request.get_full_path(),
    }


@login_required
def card_detail(request: HttpRequest, number: str) -> HttpResponse:
    card = get_scoped_or_404(Card, request.user, Action.VIEW_CARD, number=number)
    context = {
        "card": card,
        "member": card.member,
        "history": card_history(card),
        "moves": card_moves(request.user, card),
        "here": request.get_full_path(),
    }
    return render(request, "cards/card_detail.html", context)


@login_required
@require_POST
def card_act(request: HttpRequest, number: str) -> HttpResponse:
    """One step of one card; every refusal reason as a message."""
    card = get_scoped_or_404(Card, request.user, Action.CHANGE_CARD, number=number)
    back = next_url(request, reverse("cards:card_detail", args=[card.number]))
    try:
        transition = CardTransition(request.POST.get("transition", ""))
    except ValueError:
        transition = None
    if transition not in LABELS:
        messages.error(request, _("Choose a step from the list."))
        return redirect(back)
    assert transition is not None
    if transition in IRREVERSIBLE and not request.POST.get("confirmed"):
        messages.error(
            request,
            _("Tick the box to confirm “%(action)s”: it cannot be undone.") % {"action": LABELS[transition]},
        )
        return redirect(back)
    try:
        card_transition(
            actor=request.user, card=card, transition=transition, reason=request.POST.get("reason", "")[:500]
        )
    except CardError as e:
        messages.error(request, e.message)
    except OutOfScope:
        messages.error(request, _("No such record."))
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": LABELS[transition]})
    return redirect(back)
