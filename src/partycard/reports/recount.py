"""The figures counted from scratch: a ``GROUP BY`` over the cases, cards, verdicts and members.

What the kept counters must equal at every commit (``report verify`` compares them, ``report rebuild``
replaces them with it), and the raw baseline the benchmark measures the counters against.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Min, Q

from partycard.cards.models import Card
from partycard.core import clock
from partycard.exchange.models import Case, Eligibility
from partycard.exchange.workflow import OPEN_STATES
from partycard.registry.choices import ACTIVE_STATUSES
from partycard.registry.models import Member, Organisation
from partycard.reports.keys import MEMBERS, REASON_PREFIX, card_keys, case_key, verdict_keys
from partycard.reports.progress import Metric, Progress

__all__ = ["STUCK_CARD_STATES", "progress_of", "stuck", "subtree_figures"]

# A new card on its way to the member: where an accepted case's member waits.
STUCK_CARD_STATES = ("allocated", "in_production", "produced", "in_transit", "received")


def subtree_figures(path: str, campaign_id: int | None) -> Counter[str]:
    """Every key's count in the subtree at ``path``, counted from the rows (the campaign's cases and
    verdicts; every card; the probationary and official members)."""
    out: Counter[str] = Counter()
    out[MEMBERS] = Member.objects.filter(
        organisation__path__startswith=path, status__in=list(ACTIVE_STATUSES)
    ).count()
    cards = (
        Card.objects.filter(member__organisation__path__startswith=path)
        .order_by()
        .values_list("kind", "state")
        .annotate(reissue=Count("id", filter=Q(case__isnull=True, kind="new")), n=Count("id"))
    )
    for kind, state, reissue, n in cards:
        for key in card_keys(kind, state, False):
            out[key] += n
        if reissue:
            out[Metric.REISSUED.value] += reissue
    if campaign_id is None:
        return out
    cases = (
        Case.objects.filter(campaign_id=campaign_id, organisation__path__startswith=path)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
    )
    for state, n in cases:
        out[case_key(state)] += n
    verdicts = (
        Eligibility.objects.filter(campaign_id=campaign_id, member__organisation__path__startswith=path)
        .order_by()
        .values_list("eligible", "postponed", "codes")
        .annotate(n=Count("id"))
    )
    for eligible, postponed, codes, n in verdicts:
        for key in verdict_keys(eligible, postponed, codes):
            out[key] += n
    return out


def progress_of(
    org: Organisation, figures: Any, *, on: dt.date | None = None, has_children: bool = False
) -> Progress:
    """A :class:`Progress` from ``figures`` (key → count): every metric present, zeros included."""
    counts = {m.value: int(figures.get(m.value, 0)) for m in Metric}
    reasons = {
        key.removeprefix(REASON_PREFIX): int(n)
        for key, n in sorted(figures.items())
        if key.startswith(REASON_PREFIX) and n
    }
    return Progress(
        code=org.code,
        name=org.name,
        level=org.level,
        path=org.path,
        members=int(figures.get(MEMBERS, 0)),
        counts=counts,
        reasons=reasons,
        on=on,
        has_children=has_children,
    )


def stuck(path: str, campaign_id: int | None, *, now: dt.datetime | None = None) -> tuple[str, int, int]:
    """Where most unfinished work of the subtree at ``path`` waits: ``(metric value, how many, days the
    longest has waited there)``; ``("", 0, 0)`` when nothing waits.

    The candidates are the open cases of the campaign, by state, and the new cards on their way down, by
    state; a case or card waits since it entered its state (``updated_at``, written by every transition).
    """
    now = now or clock.now()
    waiting: list[tuple[int, str, dt.datetime]] = []
    if campaign_id is not None:
        for state, n, since in (
            Case.objects.filter(
                campaign_id=campaign_id,
                organisation__path__startswith=path,
                state__in=[s.value for s in OPEN_STATES],
            )
            .order_by()
            .values_list("state")
            .annotate(n=Count("id"), since=Min("updated_at"))
        ):
            waiting.append((n, case_key(state), since))
    for state, n, since in (
        Card.objects.filter(
            member__organisation__path__startswith=path, kind="new", state__in=STUCK_CARD_STATES
        )
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"), since=Min("updated_at"))
    ):
        waiting.append((n, card_keys("new", state, False)[0], since))
    if not waiting:
        return "", 0, 0
    n, key, since = max(waiting, key=lambda w: (w[0], now - w[2]))
    return key, n, max((now - since).days, 0)
