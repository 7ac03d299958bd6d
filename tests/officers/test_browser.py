"""A real browser (Debian's Chromium, headless, driven by Playwright), issue 15's scenario: a committee
officer creates an officer for a cell in their subtree; the new officer logs in with the temporary
password, must change it, then enrols two-step verification."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.db import connections
from django_otp.oath import totp

from partycard.accounts.models import Role, TOTPDevice, User
from tests.web.browser import OTP_KEY, page, require_chromium

require_chromium()

__all__ = ["page"]  # the fixture, imported for this module

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "mat-khau-rieng-cua-mai-2026"


@pytest.fixture
def committee_officer(tree: Any) -> User:
    """Data first, outside Playwright's event loop: a connection opened inside it outlives the test."""
    user = User.objects.create_user(
        "tinh", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=OTP_KEY.hex())
    return user


def test_a_new_officer_is_created_changes_the_temporary_password_and_enrols(
    live_server: Any, committee_officer: User, page: Any
) -> None:
    base = live_server.url
    # The committee officer of Hà Nội logs in with their code ...
    page.goto(f"{base}/dang-nhap/")
    page.fill("#id_username", "tinh")
    page.fill("#id_password", "mat-khau-dai-1")
    page.click("main button[type=submit]")
    page.wait_for_url("**/dang-nhap/xac-thuc/**")
    page.fill("#id_otp_token", f"{totp(OTP_KEY):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    # ... opens the officer pages from the menu and creates a cell secretary for Chi bộ Giáo viên 2.
    page.click("header nav a[href='/can-bo/']")
    page.wait_for_url(f"{base}/can-bo/")
    page.click("a[href='/can-bo/them/']")
    page.fill("#id_username", "mai.gv2")
    page.fill("#id_full_name", "Lê Thị Mai")
    page.fill("#id_email", "mai@example.vn")
    page.select_option("#id_role", Role.CELL_SECRETARY)
    page.fill("#id_organisation", "HN-BD-01-02")
    page.check("input[name=delivery][value=temporary]")
    page.click("form.officer-form button[type=submit]")
    temporary = page.inner_text("code.temporary-password").strip()
    assert len(temporary) == 19 and page.inner_text("code.username") == "mai.gv2"
    page.click("form.inline button[type=submit]")  # log out
    page.wait_for_url("**/dang-nhap/**")
    # The new officer logs in with the temporary password: the password change comes first ...
    page.goto(f"{base}/dang-nhap/")
    page.fill("#id_username", "mai.gv2")
    page.fill("#id_password", temporary)
    page.click("main button[type=submit]")
    page.wait_for_url("**/dang-nhap/doi-mat-khau/**")
    page.goto(f"{base}/dang-vien/")  # nothing else is reachable before it
    page.wait_for_url("**/dang-nhap/doi-mat-khau/**")
    page.fill("#id_old_password", temporary)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("form.password-form button[type=submit]")
    # ... then the authenticator app.
    page.wait_for_url("**/dang-nhap/thiet-lap-xac-thuc/**")
    page.wait_for_function("document.querySelector('img.qr').naturalWidth > 0")
    secret = page.inner_text("code.secret").replace(" ", "")
    page.fill("#id_otp_token", f"{totp(base64.b32decode(secret)):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/dang-nhap/doi-mat-khau/xong/")
    page.goto(f"{base}/dang-vien/")
    assert page.locator("#q").count() == 1  # signed in fully
    try:  # a connection opened inside Playwright's event loop must be closed here, or it outlives the test
        officer = User.objects.get(username="mai.gv2")
        assert officer.check_password(NEW_PASSWORD) and not officer.password_change_required
        assert officer.organisation.code == "HN-BD-01-02" and officer.role == Role.CELL_SECRETARY
        assert TOTPDevice.objects.filter(user=officer, confirmed=True).count() == 1
    finally:
        connections.close_all()
