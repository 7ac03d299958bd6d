"""The SVG charts, parsed as XML: accessible (title, desc, text labels), 360 units wide, and bars whose
lengths are proportional to the figures (the issue: "charts where people would rather look than read …
readable on a phone")."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from partycard.reports.charts import WIDTH, Bar, FunnelStep, Series, bar_chart, funnel_chart, trend_chart

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own markup, the thing under test


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def assert_accessible(root: ET.Element, chart_id: str, title: str) -> None:
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith(f"0 0 {WIDTH} ")
    assert WIDTH == 360  # a phone's CSS width: the drawing is at its size there, and scales elsewhere
    assert root.find("s:title", NS).text == title
    assert root.find("s:desc", NS).text
    labelled = root.get("aria-labelledby", "").split()
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert labelled and set(labelled) <= ids
    assert root.get("id") == chart_id
    assert "style" not in {attr for el in root.iter() for attr in el.attrib}  # CSP: no inline style


def test_bar_lengths_are_proportional_to_the_shares() -> None:
    bars = [
        Bar("Đảng bộ thành phố Hà Nội", (0.8, 0.5, 0.25), "25,0 %", href="/bao-cao/HN/"),
        Bar("Đảng bộ thành phố Huế", (0.4, 0.0, 0.0), "0,0 %"),
        Bar("Over the top", (1.5,), "150,0 %"),
    ]
    root = parse(bar_chart(bars, series=["Duyệt", "Nhận", "Trao"], title="Tiến độ", desc="…", chart_id="c1"))
    assert_accessible(root, "c1", "Tiến độ")
    groups = root.findall(".//s:g[@class='bar']", NS)
    assert len(groups) == 3
    widths = []
    for g in groups:
        track = float(g.find("s:rect[@class='track']", NS).get("width"))
        segs = [float(r.get("width")) for r in g.findall("s:rect[@class='seg']", NS)]
        widths.append([w / track for w in segs])
    assert widths[0] == pytest.approx([0.8, 0.5, 0.25], abs=1e-3)
    assert widths[1] == pytest.approx([0.4, 0.0, 0.0], abs=1e-3)
    assert widths[2] == pytest.approx([1.0], abs=1e-3)  # never past the track
    # Each bar names its organisation in text and in its title, and the first one is a link down.
    assert "Đảng bộ thành phố Hà Nội" in texts(root)
    assert groups[1].find("s:title", NS).text.startswith("Đảng bộ thành phố Huế: Duyệt 40,0 %")
    link = root.find("s:a", NS)
    assert link is not None and link.get("href") == "/bao-cao/HN/"


def test_a_long_name_is_cut_to_fit_but_kept_whole_in_the_title() -> None:
    name = "Đảng bộ Trường Trung học phổ thông chuyên Hà Nội – Amsterdam và các đơn vị trực thuộc"
    root = parse(bar_chart([Bar(name, (0.5,), "")], series=["Trao"], title="t", desc="d", chart_id="c"))
    (label,) = [t for t in texts(root) if t.startswith("Đảng bộ")]
    assert label.endswith("…") and len(label) < len(name)
    assert root.find(".//s:g[@class='bar']/s:title", NS).text.startswith(name)


def test_text_is_escaped() -> None:
    root = parse(bar_chart([Bar("<script>&", (0.1,), "")], series=["a"], title="<t>", desc="&", chart_id="x"))
    assert "<script>&" in texts(root)
    assert root.find("s:title", NS).text == "<t>"


def test_funnel_widths_follow_the_counts_and_figures_are_vietnamese() -> None:
    steps = [
        FunnelStep("Đảng viên", 1860),
        FunnelStep("Đủ điều kiện", 1700, 1700 / 1860),
        FunnelStep("Trung ương đã duyệt", 770, 0.453),
        FunnelStep("Đã trao thẻ", 0, 0.0),
    ]
    root = parse(funnel_chart(steps, title="Phễu", desc="d", chart_id="f"))
    assert_accessible(root, "f", "Phễu")
    rects = [float(r.get("width")) for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert len(rects) == 4
    assert rects[0] == pytest.approx(WIDTH - 16)  # the widest step fills the width inside the margins
    assert rects[1] / rects[0] == pytest.approx(1700 / 1860, abs=1e-3)
    assert rects[2] / rects[0] == pytest.approx(770 / 1860, abs=1e-3)
    assert rects[3] == 0
    shown = texts(root)
    assert "1.860" in shown  # a dot between thousands
    assert "770 · 45,3 %" in shown  # a decimal comma, a space before the sign
    # Centred: each bar's middle is the drawing's middle.
    for r in root.iter("{http://www.w3.org/2000/svg}rect"):
        assert float(r.get("x")) + float(r.get("width")) / 2 == pytest.approx(WIDTH / 2, abs=0.01)


def test_trend_has_a_point_per_day_rising_with_the_counts() -> None:
    days = [dt.date(2026, 8, 25) + dt.timedelta(days=i) for i in range(10)]
    series = [
        Series("Chi bộ đã đề nghị", tuple(100 * i for i in range(10))),
        Series("Đã trao thẻ", tuple(0 for _ in range(10))),
    ]
    root = parse(trend_chart(days, series, title="Xu hướng", desc="d", chart_id="t"))
    assert_accessible(root, "t", "Xu hướng")
    lines = root.findall(".//s:polyline", NS)
    assert len(lines) == 2
    points = [tuple(map(float, p.split(","))) for p in lines[0].get("points").split()]
    assert len(points) == 10
    xs, ys = [x for x, _ in points], [y for _, y in points]
    assert xs == sorted(xs) and ys == sorted(ys, reverse=True)  # later is right, more is higher
    assert lines[1].get("stroke-dasharray")  # the second series differs by its pattern, not colour only
    shown = texts(root)
    assert "1.000" in shown  # the top gridline: 900 rounded up, Vietnamese grouping
    assert {"25/08", "03/09"} <= set(shown)  # first and last day, dd/mm


def test_trend_with_one_day_or_none_still_draws() -> None:
    one = parse(trend_chart([dt.date(2026, 9, 2)], [Series("a", (5,))], title="t", desc="d", chart_id="a"))
    assert one.findall(".//s:circle", NS)
    empty = parse(trend_chart([], [Series("a", ())], title="t", desc="d", chart_id="b"))
    assert empty.find("s:title", NS).text == "t"
