"""The case page in a real browser (issue 15): "one action area where each action's reason field belongs to
its button, approve and reject in different colours, a confirmation step for irreversible actions", and
that step holding without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections

from partycard.exchange.models import Case
from partycard.exchange.workflow import State
from tests.web.browser import require_chromium
from tests.web.office import Office, campaign, office, officers, sign_in

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["campaign", "office", "officers"]

BLOCKS = """() => [...document.querySelectorAll("main form")]
  .filter(f => f.querySelector("[name=transition]"))
  .map(f => {
    const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const reason = f.querySelector("input[name=reason]");
    const button = f.querySelector("button[type=submit]");
    return {
      transition: f.querySelector("[name=transition]").value,
      block: box(f), reason: reason && box(reason), button: box(button), label: button.textContent.trim(),
      colour: getComputedStyle(button).backgroundColor,
      confirm: !!f.querySelector("input[type=checkbox][name=confirmed][required]"),
    };
  })"""


def _inside(inner: list[float], outer: list[float]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _rgb(css: str) -> tuple[int, ...]:
    return tuple(int(x) for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3])


def _state(pk: int) -> str:
    try:  # a connection opened inside Playwright's event loop must be closed here, or it outlives the test
        return Case.objects.get(pk=pk).state
    finally:
        connections.close_all()


def test_each_action_has_its_fields_inside_its_block_and_reject_looks_apart(
    live_server: Any, office: Office, login: Any, page: Any
) -> None:
    sign_in(page, live_server.url, office.officers.grassroots, login)
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{live_server.url}/doi-the/ho-so/{office.case.pk}/")
    blocks = {b["transition"]: b for b in page.evaluate(BLOCKS)}
    assert set(blocks) == {"confirm", "return", "reject"}
    for name, block in blocks.items():
        assert _inside(block["button"], block["block"]), name
        if block["reason"] is not None:  # the reason is in its own action's block, above its button
            assert _inside(block["reason"], block["block"]), name
            assert block["reason"][3] <= block["button"][1], name
            others = [b["block"] for n, b in blocks.items() if n != name]
            assert not any(_inside(block["reason"], other) for other in others), name
    assert blocks["confirm"]["reason"] is None and blocks["reject"]["reason"] is not None
    assert blocks["confirm"]["label"] == "Xác nhận" and blocks["reject"]["label"] == "Không chấp thuận"
    approve, reject = _rgb(blocks["confirm"]["colour"]), _rgb(blocks["reject"]["colour"])
    assert approve != reject
    assert approve[1] > approve[0] and reject[0] > reject[1]  # green to approve, red to refuse
    assert (
        blocks["reject"]["confirm"] and not blocks["confirm"]["confirm"] and not blocks["return"]["confirm"]
    )


@pytest.mark.parametrize("javascript", [True, False])
def test_rejecting_needs_the_box_ticked_first(
    live_server: Any, office: Office, login: Any, page: Any, javascript: bool
) -> None:
    if not javascript:  # the same page in a browser without JavaScript
        context = page.context.browser.new_context(java_script_enabled=False, locale="vi-VN")
        page = context.new_page()
    sign_in(page, live_server.url, office.officers.grassroots, login)
    url = f"{live_server.url}/doi-the/ho-so/{office.case.pk}/"
    page.goto(url)
    reject = page.locator("form.move.tone-reject")
    reject.locator("input[name=reason]").fill("Ảnh không đúng quy cách")
    reject.locator("button[type=submit]").click()
    assert page.url == url  # the browser held the form back: the box is required
    assert reject.locator("input[name=confirmed]").evaluate("e => e.validity.valueMissing")
    assert _state(office.case.pk) == State.PROPOSED
    reject.locator("input[name=confirmed]").check()
    reject.locator("button[type=submit]").click()
    page.wait_for_selector(".messages")
    assert "Đã thực hiện: Không chấp thuận" in page.inner_text(".messages")
    assert _state(office.case.pk) == State.REJECTED
