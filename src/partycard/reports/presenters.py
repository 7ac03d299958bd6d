"""From Progress figures to what the pages draw: the charts' bars, steps and series, with their words.

Kept out of the views (which stay one selector call and a render) and out of ``charts`` (which knows
numbers and SVG, not the exchange).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from partycard.reports import charts
from partycard.reports.figures import STAGE_LABELS
from partycard.reports.formats import vi_date, vi_int, vi_percent
from partycard.reports.progress import Progress, Stage

__all__ = [
    "BAR_STAGES",
    "FULL_FUNNEL",
    "HEADLINE_FUNNEL",
    "TREND_STAGES",
    "bars_svg",
    "funnel_svg",
    "trend_svg",
]

FULL_FUNNEL = tuple(Stage)
HEADLINE_FUNNEL = (
    Stage.MEMBERS,
    Stage.ELIGIBLE,
    Stage.PROPOSED,
    Stage.ACCEPTED,
    Stage.DELIVERED,
    Stage.HANDED_OVER,
)
BAR_STAGES = (Stage.ACCEPTED, Stage.DELIVERED, Stage.HANDED_OVER)
TREND_STAGES = (Stage.PROPOSED, Stage.ACCEPTED, Stage.HANDED_OVER)


def funnel_svg(p: Progress, *, stages: Sequence[Stage] = FULL_FUNNEL, chart_id: str = "funnel") -> SafeString:
    """The stages ``p`` has reached, each with its count and share (none for the members: the base)."""
    steps = [
        charts.FunnelStep(str(STAGE_LABELS[s]), p.reached(s), None if s == Stage.MEMBERS else p.share(s))
        for s in stages
    ]
    desc = "; ".join(
        f"{step.label}: {vi_int(step.count)}"
        + (f" ({vi_percent(step.share)})" if step.share is not None else "")
        for step in steps
    )
    title = _("Stages of the exchange, %(name)s") % {"name": p.name}
    # The chart escapes every text it draws (charts._text, _open): its markup is safe to insert.
    return mark_safe(charts.funnel_chart(steps, title=title, desc=desc, chart_id=chart_id))  # noqa: S308


def bars_svg(
    children: Sequence[Progress], *, href: Callable[[str], str], chart_id: str = "bars"
) -> SafeString:
    """One bar per organisation: the shares of its eligible members accepted, whose card reached the cell,
    and handed over, overlaid; a bar links down to that organisation's report."""
    series = [str(STAGE_LABELS[s]) for s in BAR_STAGES]
    bars = [
        charts.Bar(
            c.name,
            tuple(c.share(s) for s in BAR_STAGES),
            vi_percent(c.share(Stage.HANDED_OVER)),
            href(c.code),
        )
        for c in children
    ]
    desc = _(
        "Share of the eligible members of each organisation; the figure at the end is the share handed over."
    )
    title = _("Progress by organisation")
    return mark_safe(charts.bar_chart(bars, series=series, title=title, desc=desc, chart_id=chart_id))  # noqa: S308


def trend_svg(points: Sequence[tuple[dt.date, Progress]], *, chart_id: str = "trend") -> SafeString:
    """The daily counts of a few stages over the days of ``points``."""
    days = [day for day, _p in points]
    series = [
        charts.Series(str(STAGE_LABELS[s]), tuple(p.reached(s) for _d, p in points)) for s in TREND_STAGES
    ]
    if days:
        desc = _("From %(start)s to %(end)s: ") % {
            "start": vi_date(days[0]),
            "end": vi_date(days[-1]),
        } + "; ".join(f"{s.label} {vi_int(s.values[0])} → {vi_int(s.values[-1])}" for s in series)
    else:
        desc = _("No figures for these days.")
    title = _("Trend by day")
    return mark_safe(charts.trend_chart(days, series, title=title, desc=desc, chart_id=chart_id))  # noqa: S308
