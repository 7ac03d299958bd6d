"""A real browser (Debian's Chromium, headless, Playwright): the transfer round trip between two cells of
different provinces (issue 16). Hà Nội's province officer drafts the transfer from the member's page and
issues the signed letter; Huế's grassroots cell secretary, on a phone, scans the member's rotating e-card QR
with the camera (Chromium's fake capture device plays it) and completes the transfer. Each officer sees only
their side; afterwards the member is in the new cell, their exchange case and card with them."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_otp.oath import totp
from playwright.sync_api import expect

from partycard.accounts.models import TOTPDevice, User
from partycard.cards.models import Card
from partycard.core import clock
from partycard.ecard.qr import qr_png
from partycard.exchange.models import Campaign, Case
from partycard.exchange.workflow import State as CaseState
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Member
from partycard.registry.services import organisation_create
from partycard.transfers.models import Transfer
from tests.transfers.conftest import World
from tests.web.browser import ARGS, CHROMIUM, OTP_KEY, require_chromium

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _y4m(png: bytes, path: Path, size: int = 720) -> None:
    """A Y4M video (what Chromium's fake capture device plays) of the QR code on white."""
    from PIL import Image

    code = Image.open(BytesIO(png)).convert("L")
    side = size - 60
    frame = Image.new("L", (size, size), 255)
    frame.paste(code.resize((side, side), Image.Resampling.NEAREST), (30, 30))
    chroma = bytes([128]) * (size // 2) * (size // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{size} H{size} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


@pytest.fixture
def two_browsers(tmp_path: Path) -> Iterator[tuple[Any, Any, Path]]:
    """The sending officer's desktop page, and the receiving secretary's phone whose camera shows
    ``video.y4m`` (written before the scan starts): two browsers of one Playwright."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    video = tmp_path / "video.y4m"
    camera = [*ARGS, "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
    with sync_playwright() as p:
        desktop = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        phone = p.chromium.launch(executable_path=CHROMIUM, args=camera)
        page = desktop.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN").new_page()
        mobile = phone.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN").new_page()
        yield page, mobile, video
        phone.close()
        desktop.close()


def _internal(member: Member, to_code: str, to_name: str) -> Transfer:
    """A transfer that stays inside one province (a fixture row): the other province must not see it."""
    cell = member.organisation
    grassroots = cell.parent if cell.level == OrgLevel.CELL else cell
    committee = grassroots.level == OrgLevel.GRASSROOTS_COMMITTEE
    to_cell = organisation_create(
        actor=None, code=to_code, name=to_name,
        level=OrgLevel.CELL if committee else OrgLevel.GRASSROOTS_CELL,
        parent=grassroots if committee else grassroots.parent,
    )  # fmt: skip
    at = clock.now()
    return Transfer.objects.create(
        member=member, kind="official", from_cell=cell, to_cell=to_cell, committee=grassroots, path=cell.path,
        to_path=to_cell.path, state="drafted", reason="Nội tỉnh", decided_on=at.date(),
        start_deadline=at.date() + dt.timedelta(days=80), created_at=at, updated_at=at,
    )  # fmt: skip


@pytest.fixture
def scene(world: World, make_member: Any) -> dict[str, Any]:
    """Data first, outside Playwright's event loop: the member's open exchange case, both officers'
    authenticators, and one transfer inside each province."""
    campaign = Campaign.objects.create(code="b16", name="Đợt đổi thẻ", cut_off=dt.date(2026, 6, 30))
    case = Case.objects.create(
        campaign=campaign, member=world.member, organisation=world.tree.cell_a, path=world.tree.cell_a.path,
        state=CaseState.PROPOSED,
    )  # fmt: skip
    for user in (world.hn_province, world.hue_cell):
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=OTP_KEY.hex())
    hn_other = make_member(full_name="Đặng Thị Nội Hà", citizen_id="001180012222", gender="F")
    hue_member = make_member(org=world.tree.hue_cell, full_name="Phan Văn Nội Huế", citizen_id="046080012333")
    return {
        "case": case,
        "hn_internal": _internal(hn_other, "HN-BD-01-07", "Chi bộ Giáo viên 7"),
        "hue_internal": _internal(hue_member, "HUE-TH-07", "Chi bộ cơ sở Trường học"),
    }


def _login(page: Any, base: str, user: User) -> None:
    page.goto(f"{base}/dang-nhap/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "mat-khau-dai-1")
    page.click("main button[type=submit]")
    page.wait_for_url("**/dang-nhap/xac-thuc/**")
    page.fill("#id_otp_token", f"{totp(OTP_KEY):06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_the_round_trip_between_two_provinces(
    live_server: Any, world: World, scene: dict[str, Any], two_browsers: tuple[Any, Any, Path]
) -> None:
    base = live_server.url
    page, phone, video = two_browsers
    member = world.member

    # Hà Nội's province officer: from the member's page, draft the transfer to Huế and issue the letter.
    _login(page, base, world.hn_province)
    page.goto(f"{base}/dang-vien/{member.pk}/")
    page.click(f"a[href='/chuyen-sinh-hoat/tao/?dang_vien={member.pk}']")
    page.select_option("#id_kind", "official")
    page.fill("#id_to_cell_code", "HUE-TH-01")
    page.fill("#id_decided_on", (timezone.localdate() - dt.timedelta(days=5)).strftime("%d/%m/%Y"))
    page.fill("#id_reason", "Chuyển công tác về Bệnh viện Trung ương Huế")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/chuyen-sinh-hoat/*/")
    transfer = Transfer.objects.get(member=member)
    page.click(f"form[action='/chuyen-sinh-hoat/{transfer.pk}/phat-hanh/'] button")
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "issued")
    letter = page.request.get(f"{base}/chuyen-sinh-hoat/{transfer.pk}/giay-gioi-thieu.pdf")
    assert letter.ok and letter.body()[:5] == b"%PDF-"
    # The sending officer sees their own side: this transfer and Hà Nội's internal one, not Huế's.
    page.goto(f"{base}/chuyen-sinh-hoat/")
    listing = page.locator("main table tbody")
    expect(listing).to_contain_text("Hoàng Văn Chuyển")
    expect(listing).to_contain_text("Đặng Thị Nội Hà")
    expect(listing).not_to_contain_text("Phan Văn Nội Huế")
    assert page.request.get(f"{base}/chuyen-sinh-hoat/{scene['hue_internal'].pk}/").status == 404

    # Huế's grassroots cell secretary, on their phone: this transfer arrives; Hà Nội's internal one does not.
    phone.context.grant_permissions(["camera"], origin=base)
    _login(phone, base, world.hue_cell)
    phone.goto(f"{base}/chuyen-sinh-hoat/?ben=receiving")
    listing = phone.locator("main table tbody")
    expect(listing).to_contain_text("Hoàng Văn Chuyển")
    expect(listing).not_to_contain_text("Đặng Thị Nội Hà")
    phone.goto(f"{base}/chuyen-sinh-hoat/")
    expect(phone.locator("main table tbody")).to_contain_text("Phan Văn Nội Huế")
    expect(phone.locator("main table tbody")).not_to_contain_text("Đặng Thị Nội Hà")
    assert phone.request.get(f"{base}/chuyen-sinh-hoat/{scene['hn_internal'].pk}/").status == 404
    phone.goto(f"{base}/chuyen-sinh-hoat/{transfer.pk}/")
    assert phone.locator(f"form[action='/chuyen-sinh-hoat/{transfer.pk}/phat-hanh/']").count() == 0
    phone.click(f"a[href='/chuyen-sinh-hoat/{transfer.pk}/tiep-nhan/']")
    phone.wait_for_function("() => document.documentElement.dataset.ready === '1'")
    # The member shows their phone: the rotating QR of this 30-second window, read by the camera.
    _y4m(qr_png(world.ecard.rotating_qr(), scale=4), video)
    phone.click("#camera-start")
    phone.wait_for_url(f"{base}/chuyen-sinh-hoat/{transfer.pk}/", timeout=30_000)
    expect(phone.locator("[data-state]")).to_have_attribute("data-state", "received")
    phone.click(f"form[action='/chuyen-sinh-hoat/{transfer.pk}/hoan-tat/'] button")
    expect(phone.locator("[data-state]")).to_have_attribute("data-state", "completed")

    # The member is in the new cell; their open case and their card followed them.
    moved = Member.objects.get(pk=member.pk)
    assert moved.organisation_id == world.tree.hue_cell.pk
    case = Case.objects.get(pk=scene["case"].pk)
    assert (case.organisation_id, case.path) == (world.tree.hue_cell.pk, world.tree.hue_cell.path)
    card = Card.objects.get(pk=world.card.pk)
    assert card.member_id == member.pk and card.path == world.tree.hue_cell.path
    assert Transfer.objects.get(pk=transfer.pk).card_number == world.card.number
    # And the sending officer now reads it completed, on their side still.
    page.goto(f"{base}/chuyen-sinh-hoat/{transfer.pk}/")
    expect(page.locator("[data-state]")).to_have_attribute("data-state", "completed")
