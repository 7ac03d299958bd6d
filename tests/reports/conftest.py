"""Fixtures of the report tests: the exchange's campaign and officers (tests/exchange/conftest.py), and the
counters read back the way the report reads them."""

from __future__ import annotations

from typing import Any

import pytest

from partycard.reports import recount
from tests.exchange.conftest import Officers, campaign, card_holder, officers

__all__ = ["Officers", "campaign", "card_holder", "counts", "officers", "verified"]


def counts(org: Any, campaign_id: int | None = None) -> dict[str, int]:
    """What the counters hold for ``org``'s subtree now (key → n, zeros left out): campaign-less keys
    (cards, members) and, with ``campaign_id``, that campaign's (cases, verdicts)."""
    from django.db.models import Sum

    from partycard.reports.models import Tally

    campaigns = [0] if campaign_id is None else [0, campaign_id]
    rows = (
        Tally.objects.filter(organisation=org, campaign__in=campaigns)
        .values_list("key")
        .annotate(n=Sum("n"))
        .order_by()
    )
    return {key: int(n) for key, n in rows if n}


def verified() -> list[recount.Difference]:
    """Every counter (and daily sum) that differs from a recount from scratch of the whole tree."""
    _total, listed = recount.differences()
    return listed


@pytest.fixture
def officers_(officers: Officers) -> Officers:
    return officers
