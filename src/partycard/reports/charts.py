"""The report's charts as SVG drawn on the server: progress by organisation (bars), the funnel of the
stages, and the trend line. Pure functions from numbers to markup; no JavaScript, no CDN.

Made for a phone first: the drawing is 360 units wide (a phone's CSS width) and scales with its container,
each bar's name sits on its own line above the bar, and every text is real text. Accessible: each chart is
``role="img"`` labelled by its ``<title>`` and ``<desc>`` (which says the figures in words), and each bar
or point group carries its own ``<title>``. Colours are presentation attributes, not ``style``, so the
Content-Security-Policy (no inline style) lets them through; series are told apart by shade *and* by
pattern (dashes on the trend), not by colour alone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from partycard.reports.formats import vi_int, vi_percent

__all__ = ["WIDTH", "Bar", "FunnelStep", "Series", "bar_chart", "funnel_chart", "trend_chart"]

WIDTH = 360  # viewBox units: one CSS pixel on a 360 px phone
_PAD = 8
_FONT = 12
_CHAR = 6.6  # average advance of a 12-unit Noto Sans character, for fitting names to the width
# Shades of the site's red, lightest first: overlaid cumulative stages read from light to dark.
_SHADES = ("#f4c7c3", "#e57373", "#b71c1c")
_TRACK = "#eeeeee"
_LINES = (("#b71c1c", ""), ("#1565c0", "6 3"), ("#8d6e00", "2 3"), ("#2e7d32", "8 3 2 3"))


def _fit(text: str, width: float, size: float = _FONT) -> str:
    """``text`` cut with an ellipsis to fit ``width`` units (the full text stays in the group's title)."""
    most = max(4, int(width / (_CHAR * size / _FONT)))
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _open(chart_id: str, height: float, title: str, desc: str, kind: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:g}" width="100%" '
        f'class="chart chart-{kind}" id={quoteattr(chart_id)} role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" font-size="{_FONT}">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]


def _text(x: float, y: float, text: str, *, anchor: str = "start", cls: str = "", size: float = 0) -> str:
    extra = f' class="{cls}"' if cls else ""
    extra += f' font-size="{size:g}"' if size else ""
    return f'<text x="{x:g}" y="{y:g}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _legend(
    names: Sequence[str], y: float, swatch: Sequence[str], dashes: Sequence[str] = ()
) -> tuple[list[str], float]:
    """One legend entry per line (long Vietnamese names do not fit side by side on a phone): a square of
    the shade, or a sample of the line with its dashes."""
    out = []
    for i, (name, colour) in enumerate(zip(names, swatch, strict=False)):
        if dashes:
            dash = f' stroke-dasharray="{dashes[i]}"' if dashes[i] else ""
            out.append(
                f'<line x1="{_PAD}" x2="{_PAD + 22}" y1="{y - 4:g}" y2="{y - 4:g}" stroke="{colour}" '
                f'stroke-width="2"{dash}/>'
            )
        else:
            out.append(f'<rect x="{_PAD}" y="{y - 10:g}" width="12" height="12" fill="{colour}"/>')
        offset = 28 if dashes else 18
        out.append(_text(_PAD + offset, y, _fit(name, WIDTH - 2 * _PAD - offset)))
        y += 17
    return out, y


# ---- bars: progress by organisation ---------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One organisation's bar: ``values`` are cumulative shares in [0, 1], one per series, in the order of
    the stages (each one at most the one before: accepted ≥ received ≥ handed over); ``caption`` is what
    the end of the bar says (the last share); ``href`` makes the bar a link (the drill-down)."""

    label: str
    values: tuple[float, ...]
    caption: str = ""
    href: str = ""


_BAR_ROW = 40
_BAR_H = 14


def bar_chart(bars: Sequence[Bar], *, series: Sequence[str], title: str, desc: str, chart_id: str) -> str:
    """Horizontal bars, one per organisation, each showing its series overlaid from 0 (light to dark).

    Bar lengths are proportional to the values: a share of 1 fills the track.
    """
    legend, y = _legend(series, 18, _SHADES[-len(series) :] if series else ())
    y += 4
    height = y + _BAR_ROW * len(bars) + (_BAR_ROW if not bars else 0)
    out = _open(chart_id, height, title, desc, "bars") + legend
    caption_w = 58
    track = WIDTH - 2 * _PAD - caption_w
    shades = _SHADES[-len(series) :] if series else _SHADES
    if not bars:
        out.append(_text(_PAD, y + 16, "—", cls="empty"))
    for bar in bars:
        words = ", ".join(f"{name} {vi_percent(v)}" for name, v in zip(series, bar.values, strict=False))
        group = [f'<g class="bar"><title>{escape(bar.label)}: {escape(words)}</title>']
        if bar.href:  # the whole row answers a tap, not only the thin bar and the letters
            group.append(
                f'<rect class="hit" x="0" y="{y:g}" width="{WIDTH}" height="{_BAR_ROW}" fill="transparent"/>'
            )
        group.append(_text(_PAD, y + 13, _fit(bar.label, WIDTH - 2 * _PAD), cls="label"))
        top = y + 19
        group.append(
            f'<rect class="track" x="{_PAD}" y="{top}" width="{track}" height="{_BAR_H}" fill="{_TRACK}"/>'
        )
        for value, shade in zip(bar.values, shades, strict=False):
            clamped = min(max(value, 0.0), 1.0)
            group.append(
                f'<rect class="seg" x="{_PAD}" y="{top}" width="{clamped * track:.2f}" height="{_BAR_H}" '
                f'fill="{shade}" data-value="{clamped:.6f}"/>'
            )
        group.append(_text(WIDTH - _PAD, top + 12, bar.caption, anchor="end", cls="caption"))
        group.append("</g>")
        if bar.href:
            group = [f"<a href={quoteattr(bar.href)}>", *group, "</a>"]
        out += group
        y += _BAR_ROW
    out.append("</svg>")
    return "\n".join(out)


# ---- the funnel of the stages ---------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStep:
    """A stage: how many reached it, and the share to print beside it (None: none printed)."""

    label: str
    count: int
    share: float | None = None


_STEP_ROW = 38


def funnel_chart(steps: Sequence[FunnelStep], *, title: str, desc: str, chart_id: str) -> str:
    """The stages top to bottom, each bar centred, its width proportional to its count (the widest step,
    usually the members, fills the width), its name above and its figures at the right."""
    height = _STEP_ROW * max(len(steps), 1) + 6
    out = _open(chart_id, height, title, desc, "funnel")
    full = WIDTH - 2 * _PAD
    top = max((s.count for s in steps), default=0)
    y = 0.0
    for step in steps:
        figure = vi_int(step.count) + (f" · {vi_percent(step.share)}" if step.share is not None else "")
        width = full * step.count / top if top else 0.0
        out.append(f'<g class="step"><title>{escape(step.label)}: {escape(figure)}</title>')
        out.append(_text(_PAD, y + 13, _fit(step.label, full - _CHAR * (len(figure) + 2)), cls="label"))
        out.append(_text(WIDTH - _PAD, y + 13, figure, anchor="end", cls="figure"))
        out.append(
            f'<rect class="seg" x="{(WIDTH - width) / 2:.2f}" y="{y + 18:g}" width="{width:.2f}" '
            f'height="{_BAR_H}" fill="{_SHADES[2]}" data-value="{step.count}"/>'
        )
        out.append("</g>")
        y += _STEP_ROW
    out.append("</svg>")
    return "\n".join(out)


# ---- the trend line -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[int, ...]  # one per day of the chart


def _nice_top(value: float, ticks: int = 4) -> float:
    """The smallest "round" number ≥ ``value`` that divides into ``ticks`` whole round steps (1, 2, 2.5 or
    5 × 10^k)."""
    if value <= 0:
        return float(ticks)
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if step >= raw and (step == int(step)):
            return step * ticks
    return 10 * power * ticks  # pragma: no cover - the loop always returns (factor 10)


_PLOT_LEFT, _PLOT_RIGHT, _PLOT_H = 64, WIDTH - 12, 160


def trend_chart(
    days: Sequence[dt.date], series: Sequence[Series], *, title: str, desc: str, chart_id: str
) -> str:
    """Counts by day, one line per series (colour and dash pattern), with four gridlines labelled in
    Vietnamese figures and the first, middle and last day under the axis (dd/mm)."""
    legend, y = _legend([s.label for s in series], 18, [c for c, _ in _LINES], [d for _, d in _LINES])
    plot_top = y + 4
    plot_bottom = plot_top + _PLOT_H
    height = plot_bottom + 24
    out = _open(chart_id, height, title, desc, "trend") + legend
    top = _nice_top(max((v for s in series for v in s.values), default=0))
    width = _PLOT_RIGHT - _PLOT_LEFT
    for k in range(5):
        value = top * k / 4
        gy = plot_bottom - _PLOT_H * k / 4
        out.append(
            f'<line class="grid" x1="{_PLOT_LEFT}" x2="{_PLOT_RIGHT}" y1="{gy:g}" y2="{gy:g}" '
            f'stroke="#dddddd" stroke-width="1"/>'
        )
        out.append(_text(_PLOT_LEFT - 4, gy + 4, vi_int(round(value)), anchor="end", cls="tick", size=11))
    if not days:
        out.append(_text((_PLOT_LEFT + _PLOT_RIGHT) / 2, plot_top + _PLOT_H / 2, "—", anchor="middle"))
    n = len(days)

    def x_at(i: int) -> float:
        return _PLOT_LEFT + (width * i / (n - 1) if n > 1 else width / 2)

    for i in sorted({0, (n - 1) // 2, n - 1} if n else set()):
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        out.append(
            _text(x_at(i), plot_bottom + 16, days[i].strftime("%d/%m"), anchor=anchor, cls="tick", size=11)
        )
    for s, (colour, dash) in zip(series, _LINES, strict=False):
        points = [(x_at(i), plot_bottom - _PLOT_H * v / top) for i, v in enumerate(s.values[:n])]
        last = vi_int(s.values[n - 1]) if n and len(s.values) >= n else ""
        out.append(f'<g class="line"><title>{escape(s.label)}: {escape(last)}</title>')
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        if len(points) > 1:
            coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            out.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dashes}/>'
            )
        for px, py in points[-1:]:
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
