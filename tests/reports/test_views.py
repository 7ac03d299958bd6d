"""The report pages, from the issue: "drill-down from the nation to a cell, always scoped (an officer sees
their subtree …)", absolute numbers and percentages in Vietnamese form, the "as of" date, the lagging view,
the exports (audited and scoped), and the home page an officer lands on.

Scope is the point: an officer of Hà Nội gets the same 404 for Huế's report and export as for a report
that does not exist; a cell secretary sees their cell and nothing above or beside it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest
from django.test import Client

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.audit.models import AuditEvent
from partycard.core import clock
from partycard.exchange.models import Case, Eligibility
from partycard.exchange.workflow import State
from partycard.reports import selectors
from partycard.reports.services import tallies_rebuild
from tests.reports.hand_made import progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree: Any, officers: Any, campaign: Any, make_member: Any) -> dict[str, Any]:
    """Three members in Hà Nội's cell A (two with a case: one proposed, one accepted), one in cell B, one
    in Huế; verdicts for the Hà Nội ones."""
    members = [
        make_member(full_name="Nguyễn Văn An", citizen_id="001080012345"),
        make_member(full_name="Trần Thị Bình", citizen_id="001180012346", gender="F"),
        make_member(full_name="Lê Văn Cường", citizen_id="001080012347"),
        make_member(tree.cell_b, full_name="Phạm Văn Dũng", citizen_id="001080012348"),
    ]
    make_member(tree.hue_cell, full_name="Hoàng Văn Huế", citizen_id="001080099999")
    at = clock.now()
    for m in members:
        Eligibility.objects.update_or_create(  # the registry may have evaluated them already
            campaign=campaign, member=m, defaults={"eligible": True, "codes": "", "evaluated_at": at}
        )
    for m, state in ((members[0], State.PROPOSED), (members[1], State.ACCEPTED)):
        cell = m.organisation
        Case.objects.create(campaign=campaign, member=m, organisation=cell, path=cell.path, state=state)
    tallies_rebuild(actor=None)  # rows written directly, as a bulk load: the counters recounted from them
    return {"tree": tree, "officers": officers, "members": members}


def client_for(login: Any, user: User) -> Client:
    c = Client()
    login(c, user)
    return c


def h1(response: Any) -> str:
    match = re.search(r"<h1>(.*?)</h1>", response.content.decode(), re.S)
    assert match, response.content.decode()[:500]
    return match.group(1).strip()


def test_an_officer_sees_their_organisation_and_goes_down_to_a_cell(world: Any, login: Any) -> None:
    web = client_for(login, world["officers"].province)
    page = web.get("/bao-cao/")
    assert page.status_code == 200
    assert h1(page) == "Đảng bộ thành phố Hà Nội"
    body = page.content.decode()
    assert 'href="/bao-cao/HN-BD/"' in body  # the child to go down to
    assert body.count('class="bar"') == 1  # one bar per child: Ba Đình
    assert "<svg" in body and 'class="chart chart-funnel"' in body and 'class="chart chart-trend"' in body
    assert "Huế" not in body
    # Two levels down: the grassroots committee, then its cell, with breadcrumbs from the officer's root.
    school = web.get("/bao-cao/HN-BD-01/").content.decode()
    assert re.search(r'href="/bao-cao/HN/">Đảng bộ thành phố Hà Nội</a> › <a href="/bao-cao/HN-BD/">', school)
    assert 'href="/bao-cao/HN-BD-01-01/"' in school and 'href="/bao-cao/HN-BD-01-02/"' in school
    cell = web.get("/bao-cao/HN-BD-01-01/")
    assert h1(cell) == "Chi bộ Giáo viên 1"
    figures = cell.content.decode()
    assert re.search(r'id="figure-members">.*?<td class="num">3</td>', figures, re.S)  # its three members
    assert re.search(r'id="figure-proposed">.*?<td class="num">2</td>.*?66,7\xa0%', figures, re.S)
    assert 'id="children"' not in figures  # a cell has none


def test_an_officer_of_ha_noi_gets_404_for_hue_the_same_as_for_nothing(world: Any, login: Any) -> None:
    web = client_for(login, world["officers"].province)
    missing = web.get("/bao-cao/KHONG-CO/")
    assert missing.status_code == 404
    urls = ("/bao-cao/HUE/", "/bao-cao/HUE-TH-01/", "/bao-cao/HUE/cham-tien-do/", "/bao-cao/HUE/xuat/xlsx/",
            "/bao-cao/HUE/xuat/pdf/", "/bao-cao/KHONG-CO/xuat/xlsx/")  # fmt: skip
    for url in urls:
        response = web.get(url)
        assert response.status_code == 404, url
        assert "Huế" not in response.content.decode()
    before = AuditEvent.objects.count()
    post = web.post("/bao-cao/HUE/xuat/xlsx/", _export_form())
    assert post.status_code == 404 and AuditEvent.objects.count() == before
    # The same answer for Huế as for a code that does not exist: nothing tells them apart.
    assert _without_path(web.get("/bao-cao/HUE/")) == _without_path(missing)


def _without_path(response: Any) -> str:
    """The page without what differs by design: the path asked for and the session's CSRF token."""
    text = re.sub(r"/bao-cao/[^\"' <]*", "", response.content.decode())
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)


def test_a_cell_secretary_sees_only_their_cell(world: Any, login: Any) -> None:
    web = client_for(login, world["officers"].cell)
    page = web.get("/bao-cao/")
    assert page.status_code == 200 and h1(page) == "Chi bộ Giáo viên 1"
    for code in ("HN-BD-01", "HN-BD-01-02", "HN", "TW", "HUE-TH-01"):
        assert web.get(f"/bao-cao/{code}/").status_code == 404, code
        assert web.get(f"/bao-cao/{code}/xuat/pdf/").status_code == 404, code
    assert "Giáo viên 2" not in page.content.decode()


def test_a_member_has_no_report_and_keeps_their_landing_page(world: Any, login: Any) -> None:
    member = User.objects.create_user(
        "dv", password="x", role=Role.MEMBER, organisation=world["tree"].cell_a, member=world["members"][0]
    )
    web = client_for(login, member)
    assert web.get("/bao-cao/").status_code == 404
    assert web.get("/bao-cao/HN-BD-01-01/").status_code == 404
    home = web.get("/")
    assert home.status_code == 200
    body = home.content.decode()
    assert f"/dang-vien/{world['members'][0].pk}/" in body  # their own record, as before
    assert "chart-funnel" not in body and "/bao-cao/" not in body


def test_the_home_page_shows_an_officer_the_headline_and_the_way_to_the_report(
    world: Any, login: Any
) -> None:
    web = client_for(login, world["officers"].province)
    body = web.get("/").content.decode()
    assert 'id="headline"' in body and "chart-funnel" in body
    assert 'href="/bao-cao/"' in body
    # What the dashboard showed before stays: organisations and members by level.
    assert re.search(r'<td class="num">2</td><td class="num">4</td>', body)  # two cells, four members


def test_numbers_and_percentages_are_vietnamese(world: Any, login: Any, monkeypatch: Any) -> None:
    big = progress(members=1860, eligible=1700, case_accepted=770, card_active=250, has_children=False)
    monkeypatch.setattr(selectors, "progress_get", lambda actor, **kw: big)
    monkeypatch.setattr(selectors, "progress_trend", lambda actor, **kw: [(clock.today(), big)])
    monkeypatch.setattr(selectors, "progress_breadcrumbs", lambda actor, **kw: [("HN", big.name)])
    body = client_for(login, world["officers"].province).get("/bao-cao/").content.decode()
    assert re.search(r'id="figure-members">.*?1\.860', body, re.S)
    assert "45,3\xa0%" in body  # 770 of 1.700 eligible accepted
    assert "1.860" in body.split('class="chart chart-funnel"')[1]  # the chart says it the same way


def test_as_of_a_past_day_and_refusals_of_bad_dates(world: Any, login: Any) -> None:
    web = client_for(login, world["officers"].province)
    day = clock.today() - dt.timedelta(days=3)
    page = web.get("/bao-cao/", {"ngay": day.strftime("%d/%m/%Y")})
    assert page.status_code == 200
    assert day.strftime("%d/%m/%Y") in page.content.decode()
    assert f'href="/bao-cao/HN-BD/?ngay={day.isoformat()}"' in page.content.decode()  # the day follows down
    iso = web.get("/bao-cao/", {"ngay": day.isoformat()})  # what a date picker sends
    assert iso.status_code == 200 and day.strftime("%d/%m/%Y") in iso.content.decode()
    for bad in ("31/02/2026", "hôm qua", (clock.today() + dt.timedelta(days=1)).strftime("%d/%m/%Y")):
        response = web.get("/bao-cao/", {"ngay": bad})
        assert response.status_code == 200, bad
        assert 'class="field-error"' in response.content.decode(), bad


def test_the_lagging_view_names_where_members_wait(world: Any, login: Any) -> None:
    web = client_for(login, world["officers"].province)
    page = web.get("/bao-cao/HN/cham-tien-do/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'href="/bao-cao/HN-BD/"' in body  # the commune-level committee, the default level
    assert web.get("/bao-cao/HN/cham-tien-do/", {"cap": "6"}).status_code == 200
    cells = web.get("/bao-cao/HN/cham-tien-do/", {"cap": "6"}).content.decode()
    assert 'href="/bao-cao/HN-BD-01-01/"' in cells and 'href="/bao-cao/HN-BD-01-02/"' in cells


def _export_form(**overrides: str) -> dict[str, str]:
    data = {
        "ngay": "", "issued_on": clock.today().strftime("%d/%m/%Y"), "place": "Hà Nội", "upper": "",
        "issuer": "THÀNH ỦY HÀ NỘI", "number": "15", "symbol": "TU",
        "subject": "tiến độ đổi thẻ đảng viên", "on_behalf": "T/M BAN THƯỜNG VỤ", "position": "BÍ THƯ",
        "signer": "", "recipients": "- Ban Tổ chức Trung ương,\n- Lưu Văn phòng.",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_the_export_form_proposes_the_letterhead(world: Any, login: Any) -> None:
    web = client_for(login, world["officers"].upper)  # Ba Đình's officer
    page = web.get("/bao-cao/HN-BD/xuat/pdf/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="ĐẢNG ỦY PHƯỜNG BA ĐÌNH"' in body and 'value="ĐẢNG BỘ THÀNH PHỐ HÀ NỘI"' in body
    assert 'value="ĐU"' in body and 'value="Hà Nội"' in body
    assert web.get("/bao-cao/HN-BD/xuat/docx/").status_code == 404


def test_an_xlsx_export_is_the_report_and_is_audited(world: Any, login: Any) -> None:
    officer = world["officers"].province
    web = client_for(login, officer)
    response = web.post("/bao-cao/HN/xuat/xlsx/", _export_form())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="bao-cao-tien-do-HN-' in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in values and "THÀNH ỦY HÀ NỘI" in values and "Số 15-BC/TU" in values
    assert "Đảng bộ phường Ba Đình" in values and not any("Huế" in str(v) for v in values)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "export" and event.actor_id == officer.pk
    assert (event.object_type, event.object_id) == ("registry.organisation", str(world["tree"].hanoi.pk))
    assert event.changes["format"] == [None, "xlsx"] and event.changes["number"] == [None, "Số 15-BC/TU"]


def test_a_pdf_export_and_a_refused_form(world: Any, login: Any) -> None:
    web = client_for(login, world["officers"].province)
    pdf = web.post("/bao-cao/HN/xuat/pdf/", _export_form(number=""))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    before = AuditEvent.objects.count()
    refused = web.post("/bao-cao/HN/xuat/pdf/", _export_form(number="mười lăm", issuer=""))
    assert refused.status_code == 200 and refused["Content-Type"].startswith("text/html")
    assert refused.content.decode().count('class="field-error"') == 2
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_the_export_service_refuses_the_sibling_province_for_every_role(siblings: Any, fmt: str) -> None:
    """The service is the rule, whatever the door (page, command line): every role of Hà Nội, asking for
    Huế's report, gets OutOfScope and nothing is audited."""
    from partycard.core.scope import OutOfScope
    from partycard.reports.documents import Letterhead
    from partycard.reports.services import progress_export
    from tests.conftest import side_users

    users, _tokens = side_users(siblings, app_labels=(), prefix="x-")
    head = Letterhead(issuer="THÀNH ỦY HÀ NỘI", issued_on=clock.today(), place="Hà Nội")
    before = AuditEvent.objects.count()
    for role in Role:
        for code in ("HUE", "HUE-TH", "HUE-TH-01"):
            with pytest.raises(OutOfScope):
                progress_export(actor=users[("hn", role)], code=code, fmt=fmt, head=head)
    assert AuditEvent.objects.count() == before
    # The positive control: the province's officer exports their own.
    done = progress_export(actor=users[("hn", Role.COMMITTEE_OFFICER)], code="HN", fmt=fmt, head=head)
    assert done.content and AuditEvent.objects.count() == before + 1
