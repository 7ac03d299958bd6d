"""A real browser (Debian's Chromium, headless, driven by Playwright): the secretary of a cell opens the
dues from the menu, ticks the members who paid this month with their amounts, records them, and sees the
month's totals and each member's status."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.oath import totp

from partycard.accounts.models import Role, TOTPDevice, User
from partycard.dues.models import Payment
from tests.web.browser import OTP_KEY, page, require_chromium

require_chromium()

__all__ = ["page"]  # the fixture, imported for this module

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def secretary(tree: Any, make_member: Any) -> tuple[User, list[Any]]:
    """Data first, outside Playwright's event loop: the secretary of cell_a and two of its members."""
    members = [
        make_member(full_name="Nguyễn Văn An"),
        make_member(full_name="Trần Thị Bình", citizen_id="001180012346", gender="F"),
    ]
    user = User.objects.create_user(
        "bithu", password="mat-khau-dai-1", organisation=tree.cell_a, role=Role.CELL_SECRETARY
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=OTP_KEY.hex())
    return user, members


def test_the_secretary_records_a_month(live_server: Any, secretary: Any, page: Any) -> None:
    base = live_server.url
    _user, (an, binh) = secretary
    page.goto(f"{base}/dang-nhap/")
    page.fill("#id_username", "bithu")
    page.fill("#id_password", "mat-khau-dai-1")
    page.click("main button[type=submit]")
    page.wait_for_url("**/dang-nhap/xac-thuc/**")
    page.fill("#id_otp_token", f"{totp(OTP_KEY):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    # The menu leads to the cell's month ...
    page.click("header nav a[href='/dang-phi/']")
    page.wait_for_url("**/dang-phi/HN-BD-01-01/**")
    assert page.locator(f"tr[data-member='{an.pk}'] .badge.status-unpaid").count() == 1
    # ... where the secretary ticks both members, types the amounts as written in Vietnam, and records.
    page.check(f"input[name=paid_{an.pk}]")
    page.fill(f"input[name=amount_{an.pk}]", "50.000")
    page.check(f"input[name=paid_{binh.pk}]")
    page.fill(f"input[name=amount_{binh.pk}]", "35000")
    page.click("form.dues-record button[type=submit]")
    page.wait_for_selector(".messages")
    assert "2" in page.inner_text(".messages")
    assert page.locator(f"tr[data-member='{an.pk}'] .badge.status-recorded").count() == 1
    assert page.locator(f"tr[data-member='{binh.pk}'] .badge.status-recorded").count() == 1
    assert page.inner_text("dd.collected") == "85.000"
    assert page.inner_text("dd.arrears") == "0"
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [35_000, 50_000]
