"""The registry pages: tree browser, member list (filters, search, count, pages), detail, edit, import."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from partycard.accounts.models import Role, User
from partycard.audit.models import AuditEvent
from partycard.registry.models import Member, Organisation
from partycard.registry.roster import COLUMNS
from tests.conftest import recent_months

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(tree) -> User:
    return User.objects.create_user(
        "tinh", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )


@pytest.fixture
def signed_in(client: Client, officer: User, login: Any) -> Client:
    login(client, officer)
    return client


def test_tree_shows_children_with_subtree_counts_and_loads_deeper_lazily(
    signed_in: Client, tree, make_member
) -> None:
    make_member()
    make_member(org=tree.cell_b, citizen_id="001080012399")
    page = signed_in.get("/to-chuc/").content.decode()
    assert "Đảng bộ phường Ba Đình" in page and "Chi bộ Giáo viên 1" not in page  # not loaded yet
    assert 'hx-get="/to-chuc/HN-BD/cap-duoi/"' in page
    fragment = signed_in.get("/to-chuc/HN-BD-01/cap-duoi/", HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert "Chi bộ Giáo viên 1" in text and "Chi bộ Giáo viên 2" in text and "<html" not in text
    page = signed_in.get("/to-chuc/").content.decode()
    assert ">2</a>" in page  # Ba Đình's subtree total
    assert "<strong>2</strong>" in page  # Hà Nội's total, from its children's


def test_tree_outside_the_scope_is_404(signed_in: Client, tree) -> None:
    assert signed_in.get("/to-chuc/HUE-TH/cap-duoi/").status_code == 404
    assert signed_in.get("/to-chuc/?root=HUE").status_code == 404
    assert signed_in.get("/to-chuc/?root=NOPE").status_code == 404


def test_member_list_filters_search_and_keyset_pages(signed_in: Client, tree, make_member) -> None:
    for i in range(60):
        make_member(full_name=f"Trần Thị Mai {i:02d}", gender="F", citizen_id=f"0011800{i:05d}")
    make_member(full_name="Lê Văn Hùng", citizen_id="001080099001")
    make_member(org=tree.hue_cell, full_name="Trần Thị Mai Huế", gender="F", citizen_id="001180099002")
    first = signed_in.get("/dang-vien/", {"q": "tran thi mai", "gender": "F"}).content.decode()
    assert first.count('href="/dang-vien/') >= 50 and "Huế" not in first
    assert "Trần Thị Mai 00" in first and "Trần Thị Mai 50" not in first
    next_link = first.split('class="next" href="?')[1].split('"')[0].replace("&amp;", "&")
    second = signed_in.get(f"/dang-vien/?{next_link}").content.decode()
    assert "Trần Thị Mai 50" in second and "Trần Thị Mai 59" in second and "Trần Thị Mai 00<" not in second
    assert 'class="next"' not in second
    # accents ignored; filters narrow
    assert "Lê Văn Hùng" in signed_in.get("/dang-vien/", {"q": "van hung"}).content.decode()
    assert (
        "Lê Văn Hùng" not in signed_in.get("/dang-vien/", {"q": "van hung", "gender": "F"}).content.decode()
    )
    men_of_40s = signed_in.get("/dang-vien/", {"age_band": "31-45"}).content.decode()
    assert ("Lê Văn Hùng" in men_of_40s) == (31 <= (dt.date.today().year - 1980) <= 45)


def test_member_list_htmx_request_gets_the_fragment(signed_in: Client, make_member) -> None:
    make_member(full_name="Nguyễn Văn An")
    text = signed_in.get("/dang-vien/", {"q": "an"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Nguyễn Văn An" in text and "<html" not in text


def test_member_list_organisation_outside_scope_says_so(signed_in: Client, make_member) -> None:
    make_member()
    page = signed_in.get("/dang-vien/", {"organisation": "HUE"}).content.decode()
    assert "HUE" in page and 'role="alert"' in page


def test_member_detail_shows_history_timeline(signed_in: Client, officer: User, make_member) -> None:
    from partycard.registry import services

    member = make_member(full_name="Nguyễn Văn An")
    services.member_update(actor=officer, member=member, changes={"phone": "0912345678"}, reason="rà soát")
    page = signed_in.get(f"/dang-vien/{member.pk}/").content.decode()
    assert "Nguyễn Văn An" in page and "12/03/1980" in page
    assert "rà soát" in page and "0912345678" in page and "tinh" in page


def test_member_outside_scope_is_404_everywhere(signed_in: Client, tree, make_member) -> None:
    other = make_member(org=tree.hue_cell, citizen_id="001080099999")
    assert signed_in.get(f"/dang-vien/{other.pk}/").status_code == 404
    assert signed_in.get(f"/dang-vien/{other.pk}/sua/").status_code == 404
    before = Member.objects.get(pk=other.pk).full_name
    assert signed_in.post(f"/dang-vien/{other.pk}/sua/", {"full_name": "X"}).status_code == 404
    assert Member.objects.get(pk=other.pk).full_name == before
    assert signed_in.get("/dang-vien/99999999/").status_code == 404


def _form(member: Member, **changes: Any) -> dict[str, Any]:
    from partycard.registry.forms import MEMBER_FIELDS

    data: dict[str, Any] = {}
    for name in MEMBER_FIELDS:
        value = getattr(member, name if name != "ethnicity" else "ethnicity_id")
        if isinstance(value, dt.date):
            value = value.strftime("%d/%m/%Y")
        data[name] = "" if value is None else value
    data.update(changes)
    return data


def test_edit_with_bad_citizen_id_shows_the_field_error_and_saves_nothing(
    signed_in: Client, make_member
) -> None:
    member = make_member()
    events = AuditEvent.objects.count()
    response = signed_in.post(f"/dang-vien/{member.pk}/sua/", _form(member, citizen_id="001080"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="error-citizen_id"' in page and "12 chữ số" in page
    assert Member.objects.get(pk=member.pk).citizen_id == "001080012345"
    assert AuditEvent.objects.count() == events and member.history.count() == 1


def test_edit_saves_through_the_service_with_reason(signed_in: Client, make_member) -> None:
    member = make_member()
    data = _form(member, phone="0987654321", reason="cập nhật số điện thoại")
    response = signed_in.post(f"/dang-vien/{member.pk}/sua/", data)
    assert response.status_code == 302
    assert Member.objects.get(pk=member.pk).phone == "0987654321"
    assert member.history.first().history_change_reason == "cập nhật số điện thoại"
    assert AuditEvent.objects.filter(action="change", object_id=str(member.pk)).exists()


def test_the_cell_records_the_months_of_unpaid_dues_and_skipped_activities(
    signed_in: Client, make_member
) -> None:
    """Charter Art. 8(2) counts months within a year: the form takes them as MM/YYYY and stores them."""
    member = make_member()
    months = recent_months(2)
    typed = ", ".join(f"{m[5:]}/{m[:4]}" for m in reversed(months))  # any order, as typed
    data = _form(member, dues_unpaid_months=typed, activities_suspended="on", reason="họp chi bộ tháng")
    assert signed_in.post(f"/dang-vien/{member.pk}/sua/", data).status_code == 302
    fresh = Member.objects.get(pk=member.pk)
    assert (fresh.dues_unpaid_months, fresh.activities_suspended) == (months, True)
    page = signed_in.get(f"/dang-vien/{member.pk}/sua/").content.decode()
    assert typed.split(", ")[-1] in page  # shown back as MM/YYYY
    bad = signed_in.post(f"/dang-vien/{member.pk}/sua/", _form(fresh, activities_skipped_months="13/2025"))
    assert bad.status_code == 200 and 'id="error-activities_skipped_months"' in bad.content.decode()


def test_create_member_in_a_cell_of_the_scope_only(signed_in: Client, tree, make_member) -> None:
    template = make_member()
    data = _form(template, full_name="Phạm Thị Hoa", gender="F", citizen_id="001180054321", file_number="")
    data["old_card_number"] = ""
    response = signed_in.post("/dang-vien/them/", {**data, "organisation_code": "HUE-TH-01"})
    assert response.status_code == 200 and not Member.objects.filter(full_name="Phạm Thị Hoa").exists()
    assert 'id="error-organisation_code"' in response.content.decode()
    response = signed_in.post("/dang-vien/them/", {**data, "organisation_code": "HN-BD-01-02"})
    assert response.status_code == 302
    created = Member.objects.get(full_name="Phạm Thị Hoa")
    assert created.organisation == tree.cell_b


def _roster(rows: list[dict[str, Any]]) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([c.header for c in COLUMNS])
    for row in rows:
        sheet.append([row.get(c.field, "") for c in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("danh-sach.xlsx", buffer.getvalue())


GOOD = {
    "organisation_code": "HN-BD-01-01",
    "full_name": "Vũ Văn Bình",
    "gender": "Nam",
    "date_of_birth": "12/03/1980",
    "citizen_id": "001080077777",
    "date_admitted": "19/05/2005",
    "date_official": "19/05/2006",
    "status": "Đảng viên chính thức",
}


def test_import_previews_every_bad_row_and_writes_nothing(signed_in: Client, tree) -> None:
    bad = [GOOD, {**GOOD, "citizen_id": "12", "full_name": "A"}, {**GOOD, "organisation_code": "HUE-TH-01"}]
    page = signed_in.post("/nhap-du-lieu/", {"file": _roster(bad)}).content.decode()
    assert "Dòng" in page or "Row" in page
    assert page.count('<td class="num">3</td>') >= 1 and page.count('<td class="num">4</td>') >= 1
    assert not Member.objects.exists()


def test_import_preview_then_confirm_writes_all(signed_in: Client, tree) -> None:
    rows = [GOOD, {**GOOD, "full_name": "Vũ Thị Lan", "gender": "Nữ", "citizen_id": "001180077778"}]
    preview = signed_in.post("/nhap-du-lieu/", {"file": _roster(rows)}).content.decode()
    assert 'name="confirm"' in preview and not Member.objects.exists()
    assert signed_in.post("/nhap-du-lieu/", {"confirm": "1"}).status_code == 302
    assert Member.objects.count() == 2
    # confirming again without a new upload does nothing
    signed_in.post("/nhap-du-lieu/", {"confirm": "1"})
    assert Member.objects.count() == 2


def test_export_is_scoped_and_audited(signed_in: Client, tree, make_member) -> None:
    make_member()
    make_member(org=tree.hue_cell, full_name="Người Huế", citizen_id="001080099999")
    response = signed_in.get("/dang-vien/xuat/")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    names = [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert names == ["Nguyễn Văn An"]
    assert AuditEvent.objects.filter(action="export").exists()
    assert signed_in.get("/dang-vien/xuat/", {"organisation": "HUE"}).status_code == 404


def test_member_list_shows_the_count_and_numbered_pages(signed_in: Client, tree, make_member) -> None:
    for i in range(60):
        make_member(full_name=f"Trần Thị Mai {i:02d}", gender="F", citizen_id=f"0011800{i:05d}")
    make_member(org=tree.hue_cell, full_name="Trần Thị Mai Huế", gender="F", citizen_id="001180099002")
    first = signed_in.get("/dang-vien/", {"q": "mai"}).content.decode()
    count = first.split('class="result-count"')[1].split("</p>")[0]
    assert re.search(r"(?<![\d.])60(?![\d.])", count), count  # Hà Nội's 60; not Huế's 61
    assert 'aria-current="page">1<' in first and "page=2" in first and "Trần Thị Mai 50" not in first
    second = signed_in.get("/dang-vien/", {"q": "mai", "page": "2"}).content.decode()
    assert "Trần Thị Mai 50" in second and "Trần Thị Mai 00<" not in second
    assert 'aria-current="page">2<' in second and 'rel="prev"' in second and 'rel="next"' not in second
    for bad in ("0", "-1", "abc", "99999999999"):  # a page number that is no page is the first page
        assert (
            'aria-current="page">1<'
            in signed_in.get("/dang-vien/", {"q": "mai", "page": bad}).content.decode()
        )


def test_member_list_says_more_than_the_cap(signed_in: Client, make_member, monkeypatch) -> None:
    from partycard.registry import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 4)
    for i in range(7):
        make_member(full_name=f"Trần Thị Mai {i:02d}", gender="F", citizen_id=f"0011800{i:05d}")
    count = signed_in.get("/dang-vien/").content.decode().split('class="result-count"')[1].split("</p>")[0]
    assert "4" in count and "7" not in count


def test_member_list_tells_two_cells_of_one_name_apart_by_their_parent(
    signed_in: Client, tree, make_member
) -> None:
    # The issue: "two 'Chi bộ thôn 4' in different communes must be told apart".
    from partycard.registry import services
    from partycard.registry.choices import OrgLevel

    cau_giay = services.organisation_create(
        actor=None, code="HN-CG", name="Đảng bộ phường Cầu Giấy", level=OrgLevel.COMMUNE, parent=tree.hanoi
    )
    for code, parent in (("HN-BD-04", tree.ba_dinh), ("HN-CG-04", cau_giay)):
        services.organisation_create(
            actor=None, code=code, name="Chi bộ thôn 4", level=OrgLevel.GRASSROOTS_CELL, parent=parent
        )
    make_member(org=Organisation.objects.get(code="HN-BD-04"), full_name="Lê Văn An")
    make_member(
        org=Organisation.objects.get(code="HN-CG-04"),
        full_name="Lê Văn Bình",
        citizen_id="001080012399",
    )
    rows = signed_in.get("/dang-vien/", {"q": "le van"}).content.decode().split("<tr>")[2:]
    assert "Chi bộ thôn 4" in rows[0] and "Đảng bộ phường Ba Đình" in rows[0]
    assert "Chi bộ thôn 4" in rows[1] and "Đảng bộ phường Cầu Giấy" in rows[1]


def test_tree_toggles_start_closed_and_name_the_list_they_open(signed_in: Client, make_member) -> None:
    make_member()
    page = signed_in.get("/to-chuc/").content.decode()
    assert 'aria-expanded="false" aria-controls="c-HN-BD"' in page
    assert '<ul class="tree" id="c-HN-BD" hidden></ul>' in page
    assert "partycard/tree.js" in page and 'data-label="' in page
