"""Issue 15: "an accessibility check (axe-core, vendored) with no serious violations on the main pages".

axe-core (tests/vendor/axe-core, MPL-2.0) runs in Debian's Chromium on each main page as the user who works
there; a violation of impact "serious" or "critical" fails, with the rule and the elements it names. The
script is evaluated through the DevTools protocol, which the pages' Content-Security-Policy does not govern
(an injected <script> would be refused, as it should be)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.browser import require_chromium
from tests.web.office import Office, campaign, office, officers, sign_in

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["campaign", "office", "officers"]

AXE = (Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe.min.js").read_text()
BLOCKING = {"serious", "critical"}
RUN = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))"""


def _violations(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE + "\n;0")
    return [v for v in page.evaluate(RUN) if v["impact"] in BLOCKING]


def _audit(page: Any, base: str, paths: list[str]) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for path in paths:
        response = page.goto(base + path)
        assert response is not None and response.status in {200, 404}, (path, response and response.status)
        if violations := _violations(page):
            found[path] = violations
    return found


def test_the_main_pages_have_no_serious_accessibility_violation(
    live_server: Any, office: Office, login: Any, page: Any
) -> None:
    base = live_server.url
    found = _audit(page, base, ["/dang-nhap/"])
    sign_in(page, base, office.officers.grassroots, login)
    found |= _audit(
        page,
        base,
        [
            "/",
            "/dang-vien/",
            f"/dang-vien/{office.an.pk}/",
            f"/dang-vien/{office.reviewed.pk}/",
            f"/doi-the/ho-so/{office.case.pk}/",
            "/doi-the/",
            f"/the-dang-vien/{office.card.number}/",
            f"/tac-vu/{office.job_pk}/",
            "/khong-co-trang-nay/",
        ],
    )
    # The bulk form's second page, for an action that cannot be undone.
    page.goto(f"{base}/doi-the/")
    page.check(f"#case-{office.case.pk}")
    page.select_option("#id_transition", "reject")
    page.fill("#id_reason", "Hồ sơ thiếu ảnh")
    page.click("form.bulk button[type=submit]")
    page.wait_for_selector(".irreversible")
    if violations := _violations(page):
        found["/doi-the/ (confirmation)"] = violations
    sign_in(page, base, office.officers.cell, login)
    found |= _audit(page, base, ["/doi-the/chi-bo/"])
    sign_in(page, base, office.admin, login)
    found |= _audit(page, base, ["/admin/"])
    assert found == {}
