"""A real browser (Debian's Chromium, headless, driven by Playwright): log in (with TOTP), search."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connections
from django_otp.oath import totp
from playwright.sync_api import expect

from partycard.accounts.models import Role, TOTPDevice, User
from partycard.registry.models import Member
from tests.web.browser import OTP_KEY, require_chromium

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer(tree, make_member) -> User:
    """Data first, outside Playwright's event loop: a connection opened inside it outlives the test."""
    make_member(full_name="Nguyễn Văn An")
    make_member(full_name="Trần Thị Bình", gender="F", citizen_id="001180054321")
    user = User.objects.create_user(
        "tinh", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=OTP_KEY.hex())
    return user


@pytest.fixture
def new_officer(tree) -> User:
    """An officer without an authenticator yet: the first login enrols one."""
    return User.objects.create_user(
        "coso", password="mat-khau-dai-1", organisation=tree.school, role=Role.GRASSROOTS_OFFICER
    )


def test_login_and_search_by_unaccented_name(live_server: Any, officer: User, page: Any) -> None:
    page.goto(f"{live_server.url}/")
    assert "/dang-nhap/" in page.url
    page.fill("#id_username", "tinh")
    page.fill("#id_password", "mat-khau-dai-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dang-nhap/xac-thuc/?next=/")  # an officer: the TOTP step
    page.fill("#id_otp_token", f"{totp(OTP_KEY):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "Đảng bộ thành phố Hà Nội" in page.inner_text("main")
    page.goto(f"{live_server.url}/dang-vien/")
    assert "Trần Thị Bình" in page.inner_text("table")  # the list starts with everyone in scope
    page.fill("#q", "nguyen van an")
    page.click("form.search button[type=submit]")  # htmx swaps the results in place
    expect(page.locator("#results")).not_to_contain_text("Trần Thị Bình")  # waits; no eval under the CSP
    assert "Nguyễn Văn An" in page.inner_text("#results table")
    assert parse_qs(urlsplit(page.url).query)["q"] == ["nguyen van an"]  # in the address bar (hx-push-url)


def _log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/dang-nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", "mat-khau-dai-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/dang-nhap/xac-thuc/**")
    page.fill("#id_otp_token", f"{totp(OTP_KEY):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.fixture
def member_pk(officer: User) -> int:
    return Member.objects.get(full_name="Nguyễn Văn An").pk


def test_edit_with_a_bad_citizen_id_shows_the_vietnamese_error_and_saves_nothing(
    live_server: Any, member_pk: int, page: Any
) -> None:
    _log_in(page, live_server.url, "tinh")
    page.goto(f"{live_server.url}/dang-vien/{member_pk}/")
    page.click("text=Sửa")
    page.fill("#id_citizen_id", "0010800123")
    page.fill("#id_phone", "0912345678")
    page.click("form.member-form button[type=submit]")
    error = page.inner_text("#error-citizen_id")
    assert "12 chữ số" in error
    assert "Chưa lưu gì" in page.inner_text("main")
    try:  # a connection opened inside Playwright's event loop must be closed here, or it outlives the test
        saved = Member.objects.get(pk=member_pk)
        assert saved.citizen_id == "001080012345" and saved.phone == ""  # nothing of the form was written
        assert saved.history.count() == 1
    finally:
        connections.close_all()


def test_first_login_enrols_an_authenticator(live_server: Any, new_officer: User, page: Any) -> None:
    page.goto(f"{live_server.url}/dang-vien/")
    page.fill("#id_username", "coso")
    page.fill("#id_password", "mat-khau-dai-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/dang-nhap/thiet-lap-xac-thuc/?next=/dang-vien/")
    # The QR is a data: image, which the Content-Security-Policy allows; it must actually render.
    page.wait_for_function("document.querySelector('img.qr').naturalWidth > 0")
    secret = page.inner_text("code.secret").replace(" ", "")
    page.fill("#id_otp_token", f"{totp(base64.b32decode(secret)):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dang-vien/")
    assert page.locator("#q").count() == 1
