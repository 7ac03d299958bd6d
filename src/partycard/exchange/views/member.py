"""The exchange's panel on the registry's member page: the member's cases, each with its timeline.

The registry's page cannot import the exchange (it is the lower layer); ``ExchangeConfig.ready`` registers
this provider with ``registry.panels.member_panel_register``.
"""

from __future__ import annotations

from django.http import HttpRequest

from partycard.accounts.roles import Action
from partycard.exchange.models import Case
from partycard.exchange.selectors import case_events
from partycard.exchange.views.common import timeline_rows
from partycard.registry.models import Member
from partycard.registry.panels import PanelContent

__all__ = ["PANEL_ORDER", "member_cases_panel"]

PANEL_ORDER = 200


def member_cases_panel(request: HttpRequest, member: Member) -> PanelContent:
    """The member's cases the viewer may see, newest first (no panel when there is none)."""
    cases = Case.objects.scoped(request.user, Action.VIEW_CASE).filter(member=member)
    rows = [
        (case, timeline_rows(case_events(case)))
        for case in cases.select_related("campaign").order_by("-created_at")
    ]
    if not rows:
        return None
    return "exchange/_member_cases.html", {"exchange_cases": rows}
