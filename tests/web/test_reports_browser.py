"""A real browser (Debian's Chromium, headless, Playwright) on the progress report: a committee officer
logs in (with TOTP), opens the report from the home page, drills down two levels, sees the chart (an SVG
with one bar per organisation under the one shown) and downloads the .xlsx export, which opens."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.db import connections
from django_otp.oath import totp
from playwright.sync_api import expect

from partycard.accounts.models import Role, TOTPDevice, User
from partycard.exchange.models import Campaign, Case
from partycard.exchange.workflow import State
from partycard.registry import services
from partycard.registry.choices import OrgLevel
from partycard.reports.services import tallies_rebuild
from tests.web.browser import OTP_KEY, require_chromium

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def officer(tree: Any, make_member: Any) -> User:
    """Data first, outside Playwright's event loop: a connection opened inside it outlives the test.
    Hà Nội with two communes; cases in both of the school's cells."""
    services.organisation_create(
        actor=None, code="HN-HK", name="Đảng bộ phường Hoàn Kiếm", level=OrgLevel.COMMUNE, parent=tree.hanoi
    )
    campaign = Campaign.objects.create(code="dot-2026", name="Đợt đổi thẻ 2026", cut_off=dt.date(2026, 6, 30))
    a = make_member(full_name="Nguyễn Văn An", citizen_id="001080012345")
    b = make_member(tree.cell_b, full_name="Trần Văn Bình", citizen_id="001080012346")
    for member, state in ((a, State.ACCEPTED), (b, State.PROPOSED)):
        cell = member.organisation
        Case.objects.create(campaign=campaign, member=member, organisation=cell, path=cell.path, state=state)
    tallies_rebuild(actor=None)  # rows written directly, as a bulk load: the counters recounted from them
    user = User.objects.create_user(
        "tinh", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=OTP_KEY.hex())
    return user


def _log_in(page: Any, base: str) -> None:
    page.goto(f"{base}/dang-nhap/")
    page.fill("#id_username", "tinh")
    page.fill("#id_password", "mat-khau-dai-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/dang-nhap/xac-thuc/**")
    page.fill("#id_otp_token", f"{totp(OTP_KEY):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_drill_down_see_the_chart_and_download_the_xlsx(
    live_server: Any, officer: User, page: Any, tmp_path: Path
) -> None:
    base = live_server.url
    try:
        _log_in(page, base)
        expect(page.locator("#home-funnel")).to_be_visible()  # the home page's headline funnel
        page.click("#open-report")
        page.wait_for_url(f"{base}/bao-cao/")
        expect(page.locator("h1")).to_have_text("Đảng bộ thành phố Hà Nội")
        expect(page.locator("svg#bars g.bar")).to_have_count(2)  # Ba Đình and Hoàn Kiếm
        # Down one level by the table, then one more by the chart's bar (a link in the SVG).
        page.click("#children a:text('Đảng bộ phường Ba Đình')")
        page.wait_for_url(f"{base}/bao-cao/HN-BD/")
        page.click("svg#bars a >> nth=0")
        page.wait_for_url(f"{base}/bao-cao/HN-BD-01/")
        expect(page.locator("h1")).to_have_text("Đảng bộ Trường THPT Phan Đình Phùng")
        expect(page.locator("nav.crumbs")).to_contain_text("Đảng bộ thành phố Hà Nội")
        bars = page.locator("svg#bars g.bar")
        expect(bars).to_have_count(2)  # the two cells
        assert page.locator("svg#bars").get_attribute("role") == "img"
        assert page.locator("svg#bars").bounding_box()["width"] <= 390  # fits the phone's width
        # The export: the letterhead form, then the file.
        page.click("#export-xlsx")
        page.wait_for_url(f"{base}/bao-cao/HN-BD-01/xuat/xlsx/**")
        page.fill("#id_number", "15")
        with page.expect_download() as info:
            page.click("#export-download")
        download = info.value
        assert download.suggested_filename.startswith("bao-cao-tien-do-HN-BD-01-")
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        sheet = openpyxl.load_workbook(saved).active
        values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
        assert "ĐẢNG CỘNG SẢN VIỆT NAM" in values
        assert "ĐẢNG ỦY TRƯỜNG THPT PHAN ĐÌNH PHÙNG" in values and "Số 15-BC/ĐU" in values
        assert "Chi bộ Giáo viên 1" in values and "Chi bộ Giáo viên 2" in values
    finally:
        connections.close_all()
