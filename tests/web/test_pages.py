"""The first pages: login, the home page of the user's scope, member search, the admin — in Vietnamese."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp

from partycard.accounts.models import Role, TOTPDevice, User


@pytest.fixture
def officer(tree) -> User:
    return User.objects.create_user(
        "tinh", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )


def test_login_page_is_vietnamese(client: Client, db: None) -> None:
    page = client.get("/dang-nhap/").content.decode()
    assert "Đăng nhập" in page and "Tên đăng nhập" in page and 'lang="vi"' in page


def test_anonymous_users_are_sent_to_login(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")


def test_wrong_password_is_refused_in_vietnamese(client: Client, officer: User) -> None:
    page = client.post("/dang-nhap/", {"username": "tinh", "password": "sai"}).content.decode()
    assert "không đúng" in page


def test_home_shows_the_scope_and_counts_by_level(client: Client, officer: User, tree, make_member) -> None:
    for i in range(3):
        make_member(full_name=f"Đảng Viên {i}", citizen_id=f"00108001234{i}")
    make_member(org=tree.hue_cell, citizen_id="001080099999")  # outside the officer's subtree
    assert client.post("/dang-nhap/", {"username": "tinh", "password": "mat-khau-dai-1"}).status_code == 302
    device = TOTPDevice.objects.create(user=officer, name="test", confirmed=True)  # officers pass TOTP too
    code = f"{totp(device.bin_key):06d}"
    assert client.post("/dang-nhap/xac-thuc/", {"otp_token": code}).status_code == 302
    page = client.get("/").content.decode()
    assert "Đảng bộ thành phố Hà Nội" in page
    assert "<strong>3</strong>" in page  # Huế's member is not counted
    assert "Chi bộ" in page and "Đảng bộ cơ sở" in page


def test_member_search_is_accent_insensitive_and_scoped(
    client: Client, officer: User, tree, make_member, login
) -> None:
    make_member(full_name="Nguyễn Văn An", date_of_birth=__import__("datetime").date(1980, 3, 12))
    make_member(org=tree.hue_cell, full_name="Nguyễn Văn An Huế", citizen_id="001080099999")
    login(client, officer)
    page = client.get("/dang-vien/", {"q": "nguyen van an"}).content.decode()
    assert "Nguyễn Văn An" in page and "12/03/1980" in page
    assert "Nguyễn Văn An Huế" not in page


def test_admin_speaks_vietnamese(client: Client, tree, login) -> None:
    admin = User.objects.create_superuser("admin", password="mat-khau-dai-1", organisation=tree.centre)
    login(client, admin)
    page = client.get("/admin/").content.decode()
    assert "Quản trị" in page and "Đảng viên" in page and "Tổ chức đảng" in page
    page = client.get("/admin/registry/member/add/").content.decode()
    assert "Ngày vào Đảng" in page


def test_admin_edits_go_through_the_services(client: Client, tree, make_member, login) -> None:
    admin = User.objects.create_superuser("admin", password="mat-khau-dai-1", organisation=tree.centre)
    login(client, admin)
    # Creating an organisation computes its path; a cell under a commune is refused with a field error.
    refused = client.post(
        "/admin/registry/organisation/add/",
        {"code": "HN-BD-09", "name": "Chi bộ sai cấp", "level": 6, "parent": tree.ba_dinh.pk},
    )
    assert refused.status_code == 200 and "Không thể đặt" in refused.content.decode()
    created = client.post(
        "/admin/registry/organisation/add/",
        {"code": "HN-BD-01-03", "name": "Chi bộ Giáo viên 3", "level": 6, "parent": tree.school.pk},
    )
    assert created.status_code == 302
    from partycard.registry.models import Member, Organisation

    assert Organisation.objects.get(code="HN-BD-01-03").path == "TW.HN.HN-BD.HN-BD-01.HN-BD-01-03."
    # Moving the school under Huế's commune through the admin rewrites the whole subtree.
    moved = client.post(
        f"/admin/registry/organisation/{tree.school.pk}/change/",
        {"name": tree.school.name, "parent": tree.thuan_hoa.pk},
    )
    assert moved.status_code == 302, moved.content.decode()[:3000]
    assert Organisation.objects.get(code="HN-BD-01-03").path.startswith("TW.HUE.HUE-TH.HN-BD-01.")
    # A member edited in the admin keeps history with the admin as the author and the counters right.
    member = make_member()
    page = client.get(f"/admin/registry/member/{member.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "photo"}
    data.update(
        {
            "organisation": tree.hue_cell.pk,
            "phone": "0987654321",
            "ethnicity": 1,
            "date_of_birth": "12/03/1980",
            "date_admitted": "19/05/2005",
            "date_official": "19/05/2006",
        }
    )
    changed = client.post(f"/admin/registry/member/{member.pk}/change/", data)
    assert changed.status_code == 302, changed.content.decode()[:3000]
    member = Member.objects.get(pk=member.pk)
    assert member.phone == "0987654321" and member.history.latest().history_user == admin
    assert Organisation.objects.get(pk=tree.hue_cell.pk).member_count == 1
    assert Organisation.objects.get(pk=tree.cell_a.pk).member_count == 0
