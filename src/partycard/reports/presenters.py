"""From Progress figures to what the pages draw: the charts' bars, steps and series, with their words.

Kept out of the views (which stay one selector call and a render) and out of ``charts`` (which knows
numbers and SVG, not the exchange).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partycard.reports import charts
from partycard.reports.figures import CHILD_COLUMNS, STAGE_LABELS, child_values
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


MOST_BARS = 40  # the Centre's committees all fit; a province's 300 communes would be a wall, not a chart


def _slowest_first(p: Progress) -> tuple[float, float, str]:
    return (p.share(Stage.HANDED_OVER), p.share(Stage.ACCEPTED), p.code)


def bars_svg(
    children: Sequence[Progress], *, href: Callable[[str], str], chart_id: str = "bars"
) -> SafeString:
    """One bar per organisation: the shares of its eligible members accepted, whose card reached the cell,
    and handed over, overlaid; a bar links down to that organisation's report. More than ``MOST_BARS``
    organisations: the ``MOST_BARS`` slowest, slowest first (the table below lists them all)."""
    series = [str(STAGE_LABELS[s]) for s in BAR_STAGES]
    shown = list(children) if len(children) <= MOST_BARS else sorted(children, key=_slowest_first)[:MOST_BARS]
    bars = [
        charts.Bar(
            c.name,
            tuple(c.share(s) for s in BAR_STAGES),
            vi_percent(c.share(Stage.HANDED_OVER)),
            href(c.code),
        )
        for c in shown
    ]
    desc = _(
        "Share of the eligible members of each organisation; the figure at the end is the share handed over."
    )
    if len(shown) < len(children):
        title = ngettext(
            "Progress by organisation: the %(shown)d slowest of %(count)d",
            "Progress by organisation: the %(shown)d slowest of %(count)d",
            len(children),
        ) % {"shown": len(shown), "count": len(children)}
    else:
        title = _("Progress by organisation")
    return mark_safe(charts.bar_chart(bars, series=series, title=title, desc=desc, chart_id=chart_id))  # noqa: S308


def _separators() -> tuple[str, str]:
    """The active locale's decimal and thousands separators (the project's formats module for "vi")."""
    return str(get_format("DECIMAL_SEPARATOR")), str(get_format("THOUSAND_SEPARATOR"))


def _number(value: float, decimals: int, separators: tuple[str, str]) -> str:
    decimal, thousands = separators
    english = f"{value:,.{decimals}f}"  # rounded, not cut (Django's number_format cuts: 66.67 → "66,6")
    return english.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def percent(fraction: float | None) -> str:
    """0.4531 → "45,3 %" in the active locale (Vietnamese: a decimal comma, a no-break space before the
    sign); None → ""."""
    return "" if fraction is None else f"{_number(fraction * 100, 1, _separators())}\u00a0%"


def child_rows(children: Sequence[Progress], *, href: Callable[[str], str]) -> list[dict[str, object]]:
    """The organisations' table, each row's figure cells already worded in the active locale and joined: a
    province lists 300 communes, and formatting and tagging 2,700 cells one template tag (or one
    ``number_format``, which looks the locale up each time) at a time cost more than reading the figures.
    The cells hold only digits and separators, and fixed class names."""
    separators = _separators()
    classes = ["num" if c.phone else "num wide" for c in CHILD_COLUMNS]

    def cells(p: Progress) -> SafeString:
        texts = [
            f"{_number(v * 100, 1, separators)}\u00a0%" if c.share else _number(v, 0, separators)
            for c, v in zip(CHILD_COLUMNS, child_values(p), strict=True)
        ]
        html = "".join(f'<td class="{k}">{t}</td>' for k, t in zip(classes, texts, strict=True))
        return mark_safe(html)  # noqa: S308 - digits, separators and fixed class names only

    return [{"progress": c, "url": href(c.code), "cells": cells(c)} for c in children]


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
