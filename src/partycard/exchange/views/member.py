"""The exchange's panel on the registry's member page: the current campaign's verdict on the member with
its reasons, the member's case in it (state, link), and their cases of other campaigns.

The registry's page cannot import the exchange (it is the lower layer); ``ExchangeConfig.ready`` registers
this provider with ``registry.panels.member_panel_register``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from partycard.accounts.roles import Action, allowed
from partycard.core.scope import role_of
from partycard.exchange import selectors
from partycard.exchange.models import Case
from partycard.exchange.selectors import case_events
from partycard.exchange.services import reasons_vi, verdict_of
from partycard.exchange.views.common import timeline_rows, verdict_label
from partycard.registry.models import Member
from partycard.registry.panels import PanelContent

__all__ = ["PANEL_ORDER", "member_cases_panel"]

PANEL_ORDER = 200


def member_cases_panel(request: HttpRequest, member: Member) -> PanelContent:
    """For a viewer who may see cases: the open campaign's verdict and the member's cases, newest first
    (no panel without an open campaign and without a case)."""
    if not allowed(role_of(request.user) or "", Action.VIEW_CASE):
        return None
    cases = Case.objects.scoped(request.user, Action.VIEW_CASE).filter(member=member)
    rows = [
        (case, timeline_rows(case_events(case)))
        for case in cases.select_related("campaign").order_by("-created_at")
    ]
    campaign = selectors.campaign_current()
    if campaign is None and not rows:
        return None
    context: dict[str, Any] = {"campaign": campaign, "exchange_cases": rows, "current_case": None}
    if campaign is not None:
        verdict = verdict_of(member, campaign)
        css, label = verdict_label(verdict)
        context.update(
            verdict_class=css,
            verdict_label=label,
            reasons=reasons_vi(verdict),
            current_case=next((case for case, _ in rows if case.campaign_id == campaign.pk), None),
        )
    return "exchange/_member_cases.html", context
