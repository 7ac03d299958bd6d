"""A real browser (Debian's Chromium, headless, driven by Playwright) on the exchange pages: an officer
confirms a case in bulk, lands on the job page, and watches it finish by htmx polling under the CSP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connections
from django_otp.oath import totp
from playwright.sync_api import expect

from partycard.accounts.models import Role, TOTPDevice, User
from partycard.exchange.models import Campaign, Case
from partycard.exchange.services import case_propose
from partycard.exchange.workflow import State
from partycard.jobs.models import Job
from partycard.jobs.services import job_run
from tests.web.browser import OTP_KEY, require_chromium

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def case_pk(tree: Any, make_member: Any) -> int:
    """Data first, outside Playwright's event loop: a connection opened inside it outlives the test.
    A case proposed by cell_a's secretary, and the grassroots officer who confirms it (with TOTP)."""
    campaign = Campaign.objects.create(code="dot-2026", name="Đợt đổi thẻ 2026", cut_off=dt.date(2026, 6, 30))
    member = make_member(full_name="Nguyễn Văn An", old_card_number="12345678")
    secretary = User.objects.create_user(
        "bithu", password="mat-khau-dai-1", organisation=tree.cell_a, role=Role.CELL_SECRETARY
    )
    officer = User.objects.create_user(
        "coso", password="mat-khau-dai-1", organisation=tree.school, role=Role.GRASSROOTS_OFFICER
    )
    TOTPDevice.objects.create(user=officer, name="phone", confirmed=True, key=OTP_KEY.hex())
    return case_propose(actor=secretary, campaign=campaign, member=member).pk


def _log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/dang-nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", "mat-khau-dai-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/dang-nhap/xac-thuc/**")
    page.fill("#id_otp_token", f"{totp(OTP_KEY):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_a_bulk_confirm_shows_its_job_finishing_by_polling(live_server: Any, case_pk: int, page: Any) -> None:
    _log_in(page, live_server.url, "coso")
    page.goto(f"{live_server.url}/doi-the/")
    page.check(f"#case-{case_pk}")
    page.select_option("#id_transition", "confirm")
    page.click("form.bulk button[type=submit]")
    page.wait_for_url("**/tac-vu/*/")
    expect(page.locator("#job-succeeded")).to_have_text("0")
    assert page.locator("#job-progress[hx-trigger]").count() == 1  # polling while queued
    try:  # a connection opened inside Playwright's event loop must be closed here, or it outlives the test
        job = Job.objects.get()
        job_run(job.pk)  # the worker's part, done here
        expect(page.locator("#job-succeeded")).to_have_text("1", timeout=10_000)  # htmx swapped it in
        expect(page.locator("#job-progress progress")).to_have_attribute("value", "100")
        assert page.locator("#job-progress[hx-trigger]").count() == 0  # done: the polling stopped
        assert Case.objects.get(pk=case_pk).state == State.CONFIRMED
    finally:
        connections.close_all()
