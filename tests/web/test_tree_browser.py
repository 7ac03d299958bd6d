"""The organisation tree in a real browser (Debian's Chromium): a node's toggle says whether its list is
open (issue 15: "The tree's expand glyph and aria-expanded follow its state")."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from partycard.accounts.models import Role, TOTPDevice, User
from tests.web.browser import OTP_KEY, require_chromium

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer(tree: Any, make_member: Any) -> User:
    """Data first, outside Playwright's event loop: a connection opened inside it outlives the test."""
    make_member()
    user = User.objects.create_user(
        "tinh", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=OTP_KEY.hex())
    return user


def test_a_toggle_opens_and_closes_its_list_and_says_so(live_server: Any, officer: User, page: Any) -> None:
    page.goto(f"{live_server.url}/dang-nhap/")
    page.fill("#id_username", "tinh")
    page.fill("#id_password", "mat-khau-dai-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/dang-nhap/xac-thuc/**")
    page.fill("#id_otp_token", f"{totp(OTP_KEY):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/to-chuc/")
    toggle = page.locator('button[aria-controls="c-HN-BD"]')
    children = page.locator("#c-HN-BD")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_text("▸")
    label = page.locator("#tree").get_attribute("data-label")  # "Các tổ chức trực thuộc"
    assert label
    expect(toggle).to_have_attribute("aria-label", label)
    expect(children).to_be_hidden()
    toggle.click()  # opens, and htmx loads the list the first time
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_have_text("▾")
    expect(children).to_be_visible()
    expect(children).to_contain_text("Đảng bộ Trường THPT Phan Đình Phùng")
    deeper = page.locator('button[aria-controls="c-HN-BD-01"]')
    expect(deeper).to_have_attribute("aria-expanded", "false")  # loaded children start closed, named too
    expect(deeper).to_have_attribute("aria-label", label)
    toggle.click()  # closes
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_text("▸")
    expect(children).to_be_hidden()
    toggle.click()  # opens again, the list already there
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(children).to_contain_text("Đảng bộ Trường THPT Phan Đình Phùng")
