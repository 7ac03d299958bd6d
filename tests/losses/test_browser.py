"""The lost-card flow in a real browser (Debian's Chromium, phone-sized): the member reports their card
lost with the two photos, the card reads suspended at once; the grassroots committee lists it, the upper
committee compiles and decides; it ends with the old card's QR (the e-card) and its chip's status entry
both reading revoked through ``partycard.verify``, and the reissue allocated with a new number."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections

from partycard.cards.lifecycle import CardState
from partycard.losses.models import LossReport
from tests.exchange.conftest import Officers
from tests.losses.conftest import Holder, chip_codes, ecard_codes, photo
from tests.web.browser import page, require_chromium
from tests.web.office import sign_in

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["page"]


def _report() -> LossReport:
    try:  # a connection opened inside Playwright's event loop must be closed here, or it outlives the test
        return LossReport.objects.select_related("card", "new_card").get()
    finally:
        connections.close_all()


def _codes(holder: Holder) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        return chip_codes(holder.card), ecard_codes(holder)
    finally:
        connections.close_all()


def test_lost_card_flow_ends_with_qr_and_chip_revoked(
    live_server: Any, page: Any, holder: Holder, officers: Officers, login: Any
) -> None:
    base = live_server.url
    assert _codes(holder) == ((), ())

    sign_in(page, base, holder.user, login)
    page.goto(f"{base}/cap-lai-the/bao-mat/{holder.member.pk}/")
    page.check("input[name=kind][value=lost]")
    page.fill("textarea[name=circumstances]", "Mất ví trên xe buýt ngày 01/12/2026")
    page.set_input_files(
        "input[name=photos]",
        files=[
            {"name": "anh-1.jpg", "mimeType": "image/jpeg", "buffer": photo()},
            {"name": "anh-2.png", "mimeType": "image/png", "buffer": photo(300, 450, "PNG")},
        ],
    )
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/cap-lai-the/*/")
    assert "Mất ví trên xe buýt" in page.inner_text("main")
    assert page.locator("main img").count() == 2
    report = _report()
    assert report.state == "reported" and report.channel == "app"
    assert _codes(holder) == (("card_suspended",), ("suspended",))  # at once, chip and e-card

    sign_in(page, base, officers.grassroots, login)
    page.goto(f"{base}/cap-lai-the/{report.pk}/")
    page.click("#step-list")
    page.wait_for_load_state()
    assert _report().state == "listed"
    page.goto(f"{base}/cap-lai-the/")
    assert page.locator("a[href*='/bieu-mau/2-TDV/']").count() == 1

    sign_in(page, base, officers.upper, login)
    page.goto(f"{base}/cap-lai-the/{report.pk}/")
    page.click("#step-compile")
    page.wait_for_load_state()
    page.fill("input[name=decision_number]", "21-QĐ/ĐU")
    page.click("#step-decide")
    page.wait_for_load_state()
    report = _report()
    assert report.state == "decided" and report.decision_number == "21-QĐ/ĐU"
    assert report.new_card is not None and report.new_card.number != holder.card.number
    assert report.new_card.state == CardState.ALLOCATED  # the reissue waits for production
    assert report.new_card.number in page.inner_text("#new-card")
    pdf = page.request.get(f"{base}/cap-lai-the/bieu-mau/4-TDV/?ngay={report.decided_on.isoformat()}")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    assert report.card.state == CardState.REVOKED
    assert _codes(holder) == (("card_revoked",), ("revoked",))
