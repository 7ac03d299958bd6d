"""Demo exchange for ``make run``: an open campaign, the whole registry evaluated by a (finished) job, and
the demo cell's members proposed, some of them already confirmed, decided, forwarded and accepted, so that
every demo login finds work in its queue; the first accepted member's new card is walked down the tree and
handed over (the member login ``dangvien`` holds it), a second one is left on its way."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from partycard.accounts.models import User
from partycard.cards.lifecycle import CardTransition
from partycard.cards.models import Card
from partycard.cards.services import card_transition, cards_register_old
from partycard.exchange.jobs import start_evaluation
from partycard.exchange.models import Campaign, Case
from partycard.exchange.selectors import cell_candidates
from partycard.exchange.services import cases_propose, cases_transition
from partycard.exchange.workflow import FINAL_STATES, Transition
from partycard.jobs.services import job_run

__all__ = ["DEMO_CAMPAIGN", "load_exchange_demo"]

DEMO_CAMPAIGN = "dot-2026"


def load_exchange_demo() -> Campaign:
    """Create the demo campaign and cases once; later runs leave them as the demo users left them."""
    campaign, created = Campaign.objects.get_or_create(
        code=DEMO_CAMPAIGN,
        defaults={"name": "Đợt đổi thẻ đảng viên 2026 (Chỉ thị 51-CT/TW)", "cut_off": dt.date(2026, 6, 30)},
    )
    if not created:
        return campaign
    cards_register_old(actor=None)  # the members' old 8-digit cards, loaded in bulk by the seed
    admin = User.objects.get(username="admin")
    job_run(start_evaluation(actor=admin, campaign=campaign, enqueue=False).pk)
    cell_user = User.objects.select_related("organisation").get(username="chibo")
    assert cell_user.organisation is not None
    eligible = [
        c.member.pk for c in cell_candidates(cell_user, campaign, cell_user.organisation) if c.can_propose
    ]
    # The last five are left for the secretary to propose from the cell page.
    cases_propose(actor=cell_user, campaign=campaign, member_ids=eligible[:-5])
    ids = list(Case.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True))
    # Leave a few cases at each step: the grassroots confirms 3/4, the commune decides 5/8, the province
    # forwards half, the Centre accepts a quarter (allocating their card numbers and creating the cards).
    steps = [
        ("coso", Transition.CONFIRM, 3 * len(ids) // 4),
        ("phuong", Transition.DECIDE, 5 * len(ids) // 8),
        ("tinh", Transition.FORWARD, len(ids) // 2),
        ("admin", Transition.ACCEPT, len(ids) // 4),
    ]
    for username, transition, count in steps:
        actor = User.objects.filter(username=username).select_related("organisation").first()
        if actor is not None:
            cases_transition(actor=actor, transition=transition, case_ids=ids[:count])
    cards = list(Card.objects.filter(case__campaign=campaign).order_by("case_id")[:2])
    for card, last in zip(cards, (CardTransition.HAND_OVER, CardTransition.RECEIVE), strict=False):
        _walk(card, until=last)
    return campaign


# The way of a demo card, by the demo officer whose turn it is (Centre, province, commune, grassroots, cell).
_WAY = [
    ("admin", CardTransition.START_PRODUCTION),
    ("admin", CardTransition.MARK_PRODUCED),
    ("admin", CardTransition.SEND),
    ("tinh", CardTransition.RECEIVE),
    ("tinh", CardTransition.SEND),
    ("phuong", CardTransition.RECEIVE),
    ("phuong", CardTransition.SEND),
    ("coso", CardTransition.RECEIVE),
    ("coso", CardTransition.SEND),
    ("chibo", CardTransition.RECEIVE),
    ("chibo", CardTransition.HAND_OVER),
]


def _walk(card: Card, *, until: CardTransition) -> None:
    """Take ``card`` down the demo tree through the services, stopping after the ``until`` step that
    the province takes (a receive) or the hand-over."""
    for username, transition in _WAY:
        actor = User.objects.select_related("organisation").get(username=username)
        card = card_transition(actor=actor, card=card, transition=transition)
        if transition is until and (until is CardTransition.HAND_OVER or username == "tinh"):
            return


def demo_summary(campaign: Campaign) -> str:
    cases = Case.objects.filter(campaign=campaign)
    waiting = cases.filter(~Q(state__in=list(FINAL_STATES))).count()
    made = Card.objects.filter(case__campaign=campaign).count()
    return f"{campaign.name}: {waiting} demo cases in the queues, {made} new cards allocated"
