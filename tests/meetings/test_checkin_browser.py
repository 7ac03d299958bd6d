"""The secretary's phone checks members in offline and syncs later, in a real browser (Debian's Chromium,
headless, Playwright, a phone's viewport): the check-in page loads online (roster, trust list, status
lists) and keeps itself for offline use, the network goes off and the page is reopened, the member's
rotating QR (made by the Python side with the member's device
key, as their phone would) is pasted in and verified in the browser, a QR of another cell's member is
refused, nothing reaches the server; back online the check-in is sent, and sending it twice more leaves
exactly one attendance."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from partycard.core import clock
from partycard.meetings.models import Attendance
from partycard.meetings.services import meeting_open
from tests.exchange.conftest import Officers
from tests.meetings.conftest import Phone
from tests.web.browser import page, require_chromium
from tests.web.office import sign_in

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["page"]

READY = "() => document.documentElement.dataset.ready === '1'"


def test_offline_checkin_then_two_syncs_make_one_attendance(
    live_server: Any, page: Any, holder: Any, tree: Any, officers: Officers, login: Any
) -> None:
    member: Phone = holder(full_name="Lê Thị Hồng", gender="F", citizen_id="001180033333")
    stranger: Phone = holder(
        organisation=tree.cell_b,
        full_name="Phạm Văn Khác",
        citizen_id="001080044444",
        old_card_number="22334455",
    )
    meeting = meeting_open(
        actor=officers.cell,
        cell=tree.cell_a,
        kind="study_session",
        title="Học tập chuyên đề thẻ đảng viên",
        starts_at=clock.now(),
    )
    base = live_server.url
    problems: list[str] = []  # a CSP violation or a script error shows here
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, base, officers.cell, login)
    page.goto(f"{base}/hop-chi-bo/{meeting.pk}/diem-danh/")
    page.wait_for_function(READY)
    expect(page.locator("#data-state")).to_contain_text("danh sách 1 đảng viên")

    page.wait_for_function("() => document.documentElement.dataset.offline === '1'")  # kept for offline

    page.context.set_offline(True)
    expect(page.locator("#network")).to_have_text("Ngoại tuyến")
    page.reload()  # the phone reopens the page without network: the service worker's copy, the kept data
    page.wait_for_function(READY)
    expect(page.locator("#network")).to_have_text("Ngoại tuyến")
    expect(page.locator("#data-state")).to_contain_text("danh sách 1 đảng viên")
    page.fill("#qr-text", stranger.qr(clock.now()))
    page.click("#check-button")
    expect(page.locator("#verdict")).to_have_attribute("data-outcome", "invalid")
    expect(page.locator("#reasons li[data-code='not_in_cell']")).to_have_count(1)

    page.fill("#qr-text", member.qr(clock.now()))
    page.click("#check-button")
    expect(page.locator("#verdict")).to_contain_text("Lê Thị Hồng")
    expect(page.locator("#pending")).to_have_text("1")
    expect(page.locator("#checkins li[data-state='pending']")).to_have_count(1)
    assert not Attendance.objects.exists()  # nothing left the phone

    page.context.set_offline(False)  # the page sends what waits as soon as it is online
    expect(page.locator("#checkins li[data-state='new']")).to_have_count(1, timeout=15000)
    for _ in range(2):  # and the secretary presses "send" twice more, everything re-sent
        results = page.evaluate("() => self.partycardCheckin.sync({ resend: true })")
        assert [r["result"] for r in results] == ["duplicate"], results
    attendance = Attendance.objects.get()
    assert (attendance.meeting_id, attendance.member_id, attendance.method) == (
        meeting.pk,
        member.member.pk,
        "qr",
    )
    assert attendance.qr.startswith("PC1R:")
    # The only errors: the fetches the page tried while the network was off (none was needed).
    assert not [p for p in problems if "ERR_INTERNET_DISCONNECTED" not in p], problems
