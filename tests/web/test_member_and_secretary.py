"""Issue 16's headline, in two real phone-sized browsers (Debian's Chromium, headless, Playwright) against the
live server: the member logs in (password and SMS code), installs the app (service worker in control),
registers the phone's key and shows the rotating QR; the cell secretary, on their own phone (another browser
context, logged in with the authenticator), opens the meeting's check-in page online, loses the network,
and checks the member in from the QR the member's app drew (read back from its pixels), then syncs once back
online and twice more: one attendance. The member's app then shows that meeting with their attendance (and
shows the dues the cell recorded).

And the member reports their card lost from the app, with the two photos: the card is suspended at once
and the app shows the report's state."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.utils import timezone
from django_otp.oath import totp
from PIL import Image
from playwright.sync_api import expect

from partycard.accounts.models import TOTPDevice
from partycard.cards.lifecycle import CardKind, CardState
from partycard.cards.models import Card
from partycard.core import clock
from partycard.losses.models import LossReport
from partycard.meetings.models import Attendance
from partycard.meetings.services import meeting_open
from tests.exchange.conftest import Officers, officers
from tests.memberapp.browser import DECODE, QR_SHOWN, READY, member_logs_in
from tests.memberapp.conftest import authority, holder
from tests.web.browser import OTP_KEY, page, require_chromium

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["authority", "holder", "officers", "page"]

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "vi-VN", "is_mobile": True, "has_touch": True}


def _secretary_logs_in(page: Any, base: str, username: str) -> None:
    """Password, then the authenticator's code (TOTP)."""
    page.goto(f"{base}/dang-nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", "mat-khau-dai-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/dang-nhap/xac-thuc/**")
    page.fill("#id_otp_token", f"{totp(OTP_KEY):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.fixture
def secretary(officers: Officers) -> Any:
    """The secretary of the member's cell, with a password and an authenticator."""
    user = officers.cell
    user.set_password("mat-khau-dai-1")
    user.save(update_fields=["password"])
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=OTP_KEY.hex())
    return user


@pytest.fixture
def meeting(secretary: Any, tree: Any) -> Any:
    return meeting_open(
        actor=secretary,
        cell=tree.cell_a,
        kind="study_session",
        title="Học tập chuyên đề thẻ đảng viên",
        starts_at=clock.now(),
        place="Hội trường tầng 2",
    )


@pytest.fixture
def dues_paid(secretary: Any, holder: Any, tree: Any) -> Any:
    """The cell recorded the member's dues of this month."""
    from partycard.dues.services import payments_record

    month = timezone.localdate().replace(day=1)
    payments_record(actor=secretary, cell=tree.cell_a, month=month, amounts={holder.member_id: 30000})
    return month


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")  # Asia/Ho_Chi_Minh (settings.TIME_ZONE)


def test_the_secretary_checks_the_member_in_offline_from_the_members_app(
    authority: Any,
    holder: Any,
    secretary: Any,
    meeting: Any,
    dues_paid: Any,
    live_server: Any,
    page: Any,
    settings: Any,
) -> None:
    settings.PARTYCARD_MESSAGE_SENDER = "partycard.accounts.sender.MemorySender"
    base = live_server.url
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))

    # The member's phone: log in, the app installs, the phone's key is registered, the rotating QR shows.
    member_logs_in(page, base)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == f"{base}/so-tay/sw.js"
    opened = page.locator(f"#meetings-body article[data-id='{meeting.pk}']")
    expect(opened).to_have_attribute("data-attendance", "pending")
    expect(opened).to_contain_text("Học tập chuyên đề thẻ đảng viên")
    expect(opened).to_contain_text("Chưa điểm danh")
    expect(opened).to_contain_text("Học tập, quán triệt về thẻ đảng viên mới")  # the kind, in words
    expect(opened).to_contain_text(_local(meeting.starts_at))
    dues = page.locator("#dues-body")  # the dues app's answer too: the month, the amount, who recorded it
    expect(dues).to_contain_text(dues_paid.strftime("%m/%Y"))
    expect(dues).to_contain_text("30.000")
    expect(dues).to_contain_text("Chi bộ đã ghi")
    page.fill("#device-label", "Điện thoại của Bích")
    page.click("#activate")
    page.wait_for_function(QR_SHOWN)

    # The secretary's phone: another browser, their own session (password and authenticator).
    browser = page.context.browser
    phone = browser.new_context(**PHONE)
    sec = phone.new_page()
    sec.on("pageerror", lambda e: problems.append(f"secretary: {e}"))
    _secretary_logs_in(sec, base, secretary.username)
    sec.goto(f"{base}/hop-chi-bo/{meeting.pk}/diem-danh/")
    sec.wait_for_function(READY)
    expect(sec.locator("#data-state")).to_contain_text("danh sách 1 đảng viên")
    sec.wait_for_function("() => document.documentElement.dataset.offline === '1'")  # kept for offline

    phone.set_offline(True)
    expect(sec.locator("#network")).to_have_text("Ngoại tuyến")
    sec.reload()  # reopened without network: the service worker's copy and the kept roster
    sec.wait_for_function(READY)

    # The member shows the phone; the secretary's page reads the code the member's app drew.
    text = page.evaluate(DECODE)
    assert text and text.startswith("PC1R:"), text
    sec.fill("#qr-text", text)
    sec.click("#check-button")
    expect(sec.locator("#verdict")).to_contain_text("Trần Thị Bích")
    expect(sec.locator("#pending")).to_have_text("1")
    assert not Attendance.objects.exists()  # nothing left the secretary's phone

    # Online again: the page sends what waits; sending everything twice more changes nothing.
    phone.set_offline(False)
    expect(sec.locator("#checkins li[data-state='new']")).to_have_count(1, timeout=15000)
    for _ in range(2):
        results = sec.evaluate("() => self.partycardCheckin.sync({ resend: true })")
        assert [r["result"] for r in results] == ["duplicate"], results
    attendance = Attendance.objects.get()
    assert (attendance.meeting_id, attendance.member_id, attendance.method) == (
        meeting.pk,
        holder.member_id,
        "qr",
    )
    assert attendance.qr == text
    phone.close()

    # The member's app, online, shows the meeting with their attendance: present, when, how.
    page.reload()
    page.wait_for_function(READY)
    attended = page.locator(f"#meetings-body article[data-id='{meeting.pk}']")
    expect(attended).to_have_attribute("data-attendance", "present")
    expect(attended).to_contain_text("Có mặt")
    expect(attended).to_contain_text(_local(attendance.checked_at))
    expect(attended).to_contain_text("Thẻ điện tử (mã QR thay đổi)")
    assert not problems, problems


def _photo(name: str) -> dict[str, Any]:
    """A 2×3 portrait as a phone would send it."""
    out = io.BytesIO()
    Image.new("RGB", (400, 600), (200, 180, 160)).save(out, "JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": out.getvalue()}


def test_the_member_reports_the_card_lost_from_the_app(
    authority: Any, holder: Any, live_server: Any, page: Any, settings: Any
) -> None:
    settings.PARTYCARD_MESSAGE_SENDER = "partycard.accounts.sender.MemorySender"
    base = live_server.url
    member_logs_in(page, base)
    expect(page.locator("#losses-body")).to_contain_text("Chưa có.")  # nothing reported yet
    expect(page.locator("#transfers-body")).to_contain_text("Chưa có.")
    card = Card.objects.get(member=holder.member, kind=CardKind.NEW)  # the new chip card, in use

    page.click("#loss-report summary")
    page.check("#loss-form input[name=kind][value=lost]")
    page.fill("#loss-circumstances", "Mất ví trên xe buýt số 32 ngày 01/12.")
    page.set_input_files("#loss-photo-1", _photo("anh-1.jpg"))
    page.click("#loss-send")  # one photo only: the form asks for both, nothing is sent
    assert page.evaluate("document.getElementById('loss-form').checkValidity()") is False
    assert not LossReport.objects.exists()

    page.set_input_files("#loss-photo-2", _photo("anh-2.jpg"))
    page.click("#loss-send")
    expect(page.locator("#loss-done")).not_to_be_empty()
    report = LossReport.objects.get()
    assert (report.member_id, report.card_id, report.kind, report.channel) == (
        holder.member_id,
        card.pk,
        "lost",
        "app",
    )
    assert report.photos.count() == 2
    card.refresh_from_db()
    assert card.state == CardState.SUSPENDED
    shown = page.locator(f"#losses-body article[data-id='{report.pk}']")
    expect(shown).to_have_attribute("data-state", "reported")
    expect(shown).to_contain_text("Đã báo, thẻ đã tạm dừng hiệu lực")
    expect(shown).to_contain_text(card.number)
    expect(shown).to_contain_text(timezone.localtime(report.reported_at).strftime("%d/%m/%Y"))
    assert re.search(r"\d{2}/\d{2}/\d{4}", shown.inner_text())

    # A second report of the same card is refused, with the reason in Vietnamese.
    page.click("#loss-report summary")
    page.fill("#loss-circumstances", "Lại mất.")
    page.set_input_files("#loss-photo-1", _photo("anh-1.jpg"))
    page.set_input_files("#loss-photo-2", _photo("anh-2.jpg"))
    page.click("#loss-send")
    expect(page.locator("#loss-error")).not_to_be_empty()
    assert LossReport.objects.count() == 1
