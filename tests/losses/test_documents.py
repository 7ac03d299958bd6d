"""The forms as PDF at their levels (text extracted with pdftotext): the grassroots committee's 2-TDV
(lost) and 3-TDV (damaged), the upper committee's board's 2A-TDV and 3A-TDV, its standing committee's
4-TDV; each names the member with the old card number, the body, the place and date, and the signature."""

from __future__ import annotations

import datetime as dt
import subprocess
from typing import Any

import pytest
from django.test import Client

from partycard.core import clock
from partycard.losses.services import loss_report, loss_step
from partycard.losses.workflow import Kind, Step
from tests.exchange.conftest import Officers
from tests.losses.conftest import Holder, photos

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


def _pdf(client: Client, form: str, org: Any, **extra: str) -> str:
    today = clock.today().isoformat()
    response = client.get(f"/cap-lai-the/bieu-mau/{form}/", {"to_chuc": org.code, "ngay": today, **extra})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return _text(response.content)


def test_each_form_at_its_level(holder: Holder, officers: Officers, make_member: Any, login: Any) -> None:
    report = loss_report(
        actor=holder.user, member=holder.member, kind=Kind.LOST, circumstances="Mất ví trên xe buýt số 32",
        photos=photos(),
    )  # fmt: skip
    loss_step(actor=officers.grassroots, report=report, step=Step.LIST)
    grassroots, upper = Client(), Client()
    login(grassroots, officers.grassroots)
    login(upper, officers.upper)
    school, ba_dinh = officers.grassroots.organisation, officers.upper.organisation
    day = clock.today().strftime("%d/%m/%Y")

    text = _pdf(grassroots, "2-TDV", school, noi="Hà Nội")
    assert "Mẫu 2-TDV" in text and "DANH SÁCH ĐẢNG VIÊN BỊ MẤT THẺ ĐẢNG VIÊN" in text
    assert "Trần Thị Mai" in text and holder.card.number in text and "Mất ví trên xe buýt số 32" in text
    assert school.name.upper() in text and "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert f"Hà Nội, ngày {day[:2]} tháng {day[3:5]} năm {day[6:]}" in text and "T/M ĐẢNG ỦY" in text
    assert "Trần Thị Mai" not in _pdf(grassroots, "3-TDV", school)  # the damaged cards' list: not hers

    loss_step(actor=officers.upper, report=report, step=Step.COMPILE, good_reason=False)
    text = _pdf(upper, "2A-TDV", ba_dinh)
    assert "Mẫu 2A-TDV" in text and "TỔNG HỢP DANH SÁCH ĐẢNG VIÊN BỊ MẤT THẺ" in text
    assert "BAN TỔ CHỨC" in text and "Trần Thị Mai" in text and holder.card.number in text
    assert "khiển trách" in text  # DOMAIN.md: losing a card without good reason earns a reprimand

    report = loss_step(actor=officers.upper, report=report, step=Step.DECIDE, decision_number="15-QĐ/ĐU")
    text = _pdf(upper, "4-TDV", ba_dinh)
    assert "Mẫu 4-TDV" in text and "QUYẾT ĐỊNH CẤP LẠI THẺ ĐẢNG VIÊN" in text and "15-QĐ/ĐU" in text
    assert "BAN THƯỜNG VỤ" in text and "Trần Thị Mai" in text
    assert holder.card.number in text and report.new_card.number in text


def test_a_damaged_card_is_on_3_tdv_and_3a_tdv(holder: Holder, officers: Officers, login: Any) -> None:
    report = loss_report(
        actor=officers.cell, member=holder.member, kind=Kind.DAMAGED, circumstances="Thẻ bị cong, chip hỏng",
        photos=photos(),
    )  # fmt: skip
    loss_step(actor=officers.grassroots, report=report, step=Step.LIST)
    loss_step(actor=officers.upper, report=report, step=Step.COMPILE)
    client = Client()
    login(client, officers.upper)
    text = _pdf(client, "3-TDV", officers.grassroots.organisation)
    assert "Mẫu 3-TDV" in text and "BỊ HỎNG THẺ" in text and "Trần Thị Mai" in text
    text = _pdf(client, "3A-TDV", officers.upper.organisation)
    assert "Mẫu 3A-TDV" in text and "Thẻ bị cong, chip hỏng" in text


def test_another_province_gets_no_form_of_this_one(holder: Holder, officers: Officers, login: Any) -> None:
    report = loss_report(
        actor=holder.user, member=holder.member, kind=Kind.LOST, circumstances="x", photos=photos()
    )
    loss_step(actor=officers.grassroots, report=report, step=Step.LIST)
    client = Client()
    login(client, officers.hue_upper)
    today = clock.today().isoformat()
    school = officers.grassroots.organisation
    response = client.get("/cap-lai-the/bieu-mau/2-TDV/", {"to_chuc": school.code, "ngay": today})
    assert response.status_code == 404
    # Its own organisation's form of the day lists nobody of Hà Nội.
    response = client.get("/cap-lai-the/bieu-mau/2-TDV/", {"ngay": today})
    assert response.status_code == 200 and "Trần Thị Mai" not in _text(response.content)
    assert dt.date.fromisoformat(today)
