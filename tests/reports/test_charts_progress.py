"""The charts drawn from Progress figures (``reports.presenters``): which organisations get a bar, in which
order, and the figures of the funnel and the organisations' table as the page shows them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.utils import translation

from partycard.reports.presenters import MOST_BARS, bars_svg, child_rows, funnel_svg
from tests.reports.hand_made import progress

SVG = "{http://www.w3.org/2000/svg}"


def test_a_province_of_300_communes_charts_the_slowest_only() -> None:
    communes = [
        progress(f"C{i:03d}", f"Xã {i}", members=100, eligible=100, case_accepted=100, card_active=i % 100)
        for i in range(300)
    ]
    root = ET.fromstring(bars_svg(communes, href=lambda code: f"/bao-cao/{code}/"))  # noqa: S314
    names = [
        g.find(f"{SVG}title").text.split(":")[0] for g in root.iter(f"{SVG}g") if g.get("class") == "bar"
    ]
    assert len(names) == MOST_BARS == 40
    # Slowest first: 0 % handed over (Xã 0, 100, 200), then 1 % (Xã 1, 101, 201), …
    assert names[:4] == ["Xã 0", "Xã 100", "Xã 200", "Xã 1"]
    assert "40" in root.find(f"{SVG}title").text and "300" in root.find(f"{SVG}title").text


def test_a_few_organisations_keep_their_order_and_all_get_a_bar() -> None:
    few = [progress("HN", "Hà Nội", members=10, eligible=10, card_active=9),
           progress("HUE", "Huế", members=10, eligible=10, card_active=1)]  # fmt: skip
    root = ET.fromstring(bars_svg(few, href=lambda code: f"/bao-cao/{code}/"))  # noqa: S314
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert links == ["/bao-cao/HN/", "/bao-cao/HUE/"]


def test_the_table_cells_and_the_funnel_speak_vietnamese() -> None:
    p = progress(members=1860, eligible=1700, case_accepted=1700, card_active=770)
    with translation.override("vi"):
        (row,) = child_rows([p], href=lambda code: "/x/")
        funnel = funnel_svg(p)
    cells = str(row["cells"])
    assert '<td class="num">1.860</td>' in cells
    assert "45,3\u00a0%" in cells  # 770 of 1.700 handed over, rounded
    assert "1.860" in funnel and "45,3 %" in funnel
