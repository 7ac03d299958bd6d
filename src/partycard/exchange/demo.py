"""Demo exchange for ``make run``: an open campaign, the whole registry evaluated by a (finished) job, and
the demo cell's members proposed, some of them already confirmed, decided and accepted, so that every
demo login finds work in its queue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from partycard.accounts.models import User
from partycard.exchange.jobs import start_evaluation
from partycard.exchange.models import Campaign, Case
from partycard.exchange.selectors import cell_candidates
from partycard.exchange.services import cases_propose, cases_transition
from partycard.exchange.workflow import State, Transition
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
    # Leave a few cases at each step: the grassroots confirms 3/4, the commune decides half, the Centre
    # accepts a quarter (allocating their card numbers).
    steps = [("coso", Transition.CONFIRM, 3 * len(ids) // 4), ("phuong", Transition.DECIDE, len(ids) // 2)]
    steps.append(("admin", Transition.ACCEPT, len(ids) // 4))
    for username, transition, count in steps:
        actor = User.objects.filter(username=username).select_related("organisation").first()
        if actor is not None:
            cases_transition(actor=actor, transition=transition, case_ids=ids[:count])
    return campaign


def demo_summary(campaign: Campaign) -> str:
    cases = Case.objects.filter(campaign=campaign)
    waiting = cases.filter(~Q(state__in=[State.REJECTED, State.CANCELLED])).count()
    return f"{campaign.name}: {waiting} demo cases in the queues"
