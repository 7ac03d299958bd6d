"""The officer pages (``/can-bo/``), from issue 15: the list of the actor's subtree (search by name or
username without accents, organisation with its parent, role, state, last login dd/mm/yyyy), create,
detail, and every write door refused for another province's officer with the 404 of a missing one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from partycard.accounts.models import Role, TOTPDevice, User
from partycard.audit.models import AuditEvent
from tests.officers.conftest import PASSWORD, lockout_record, officer_make

pytestmark = pytest.mark.django_db

WRITE_PAGES = ("sua", "dat-lai-mat-khau", "dat-lai-xac-thuc", "vo-hieu-hoa", "kich-hoat", "mo-khoa")


def main_of(response: Any) -> str:
    """The page's ``<main>`` (the header holds a fresh CSRF token on every answer)."""
    text = response.content.decode()
    return text[text.index("<main") : text.index("</main>")]


def listed(client: Client, **query: str) -> list[str]:
    return [u.username for u in client.get("/can-bo/", query).context["officers"]]


@pytest.fixture
def web(client: Client, login: Any, hanoi: User) -> Client:
    login(client, hanoi)
    return client


def test_the_list_shows_the_subtree_and_searches_without_accents(
    web: Client, secretary: User, hue_secretary: User
) -> None:
    User.objects.filter(pk=secretary.pk).update(last_login=dt.datetime(2026, 3, 9, 8, 0, tzinfo=dt.UTC))
    from partycard.accounts.services import user_save

    user_save(actor=None, user=User.objects.get(pk=secretary.pk))  # fills the folded name
    page = main_of(web.get("/can-bo/"))
    assert "bithu-gv1" in page and "bithu-hue" not in page and "tinh-hue" not in page
    assert "Chi bộ Giáo viên 1" in page and "Đảng bộ Trường THPT Phan Đình Phùng" in page  # with its parent
    assert "Đảng bộ thành phố Huế" not in page
    assert "09/03/2026" in page
    assert listed(web) == ["bithu-gv1", "tinh-hn"]
    assert listed(web, q="tran van binh") == ["bithu-gv1"]
    assert "Trần Văn Bình" in main_of(web.get("/can-bo/", {"q": "tran van binh"}))
    assert listed(web, q="BITHU") == ["bithu-gv1"]


def test_the_list_shows_each_state(web: Client, tree: Any, secretary: User) -> None:

    fresh = User.objects.create_user(
        "moi-tinh", password=PASSWORD, role=Role.CELL_SECRETARY, organisation=tree.cell_b
    )
    User.objects.filter(pk=fresh.pk).update(is_active=False, password_change_required=True)
    lockout_record("bithu-gv1", "10.0.0.1")
    rows = {u.username: u for u in web.get("/can-bo/").context["officers"]}
    assert rows["bithu-gv1"].locked and rows["bithu-gv1"].enrolled and rows["bithu-gv1"].is_active
    assert not rows["moi-tinh"].enrolled and not rows["moi-tinh"].is_active and not rows["moi-tinh"].locked
    assert listed(web, state="disabled") == ["moi-tinh"]
    assert 'class="badge officer-locked"' in web.get(f"/can-bo/{secretary.pk}/").content.decode()


def test_a_member_account_is_not_listed_as_an_officer(web: Client, tree: Any, make_member: Any) -> None:
    member = make_member(full_name="Đảng Viên Thường")
    User.objects.create_user(
        "dang-vien", password=PASSWORD, role=Role.MEMBER, organisation=tree.cell_a, member=member
    )
    assert "dang-vien" not in listed(web)
    assert web.get(f"/can-bo/{User.objects.get(username='dang-vien').pk}/").status_code == 404


@pytest.mark.parametrize("role", [Role.GRASSROOTS_OFFICER, Role.CELL_SECRETARY, Role.INSPECTOR, Role.MEMBER])
def test_roles_without_officer_management_do_not_reach_the_pages(
    client: Client, login: Any, tree: Any, role: str, secretary: User
) -> None:
    login(
        client,
        officer_make(f"khong-{role}", role, tree.school if role != Role.CELL_SECRETARY else tree.cell_b),
    )
    for url in (
        "/can-bo/",
        "/can-bo/them/",
        f"/can-bo/{secretary.pk}/",
        f"/can-bo/{secretary.pk}/vo-hieu-hoa/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/can-bo/{secretary.pk}/vo-hieu-hoa/").status_code == 404
    assert User.objects.get(pk=secretary.pk).is_active
    assert "/can-bo/" not in client.get("/dang-vien/").content.decode()  # no menu link


def test_create_shows_the_temporary_password_once(web: Client, tree: Any) -> None:
    form = {
        "username": "mai.gv2", "full_name": "Lê Thị Mai", "email": "mai@example.vn", "phone": "",
        "role": Role.CELL_SECRETARY, "organisation": "hn-bd-01-02", "delivery": "temporary",
    }  # fmt: skip
    response = web.post("/can-bo/them/", form)
    assert response.status_code == 200, response.content.decode()[:3000]
    password = response.context["password"]
    officer = User.objects.get(username="mai.gv2")
    assert officer.check_password(password) and officer.organisation_id == tree.cell_b.pk
    assert password in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert password not in web.get(f"/can-bo/{officer.pk}/").content.decode()
    assert password not in str(dict(web.session))


def test_create_for_another_province_or_above_ones_role_is_refused(web: Client, tree: Any) -> None:
    base = {
        "username": "lau", "full_name": "Đã Bị Thêm", "email": "lau@example.vn", "phone": "",
        "role": Role.CELL_SECRETARY, "organisation": tree.hue_cell.code, "delivery": "temporary",
    }  # fmt: skip
    response = web.post("/can-bo/them/", base)
    assert response.status_code == 200 and "organisation" in response.context["form"].errors
    assert tree.hue_cell.name not in response.content.decode()
    for role in (Role.CENTRAL_ADMIN, Role.INSPECTOR, Role.MEMBER, "superuser"):
        response = web.post("/can-bo/them/", {**base, "organisation": tree.hanoi.code, "role": role})
        assert response.status_code == 200 and "role" in response.context["form"].errors, role
    assert not User.objects.filter(username="lau").exists()


@pytest.mark.parametrize("page", WRITE_PAGES)
def test_every_write_door_answers_404_for_an_officer_of_hue(
    web: Client, hue_secretary: User, page: str
) -> None:
    before = list(User.objects.filter(pk=hue_secretary.pk).values())
    last = AuditEvent.objects.latest("seq").seq
    missing = main_of(web.get(f"/can-bo/{10**9}/{page}/"))
    for method in ("get", "post"):
        response = getattr(web, method)(f"/can-bo/{hue_secretary.pk}/{page}/", {"delivery": "temporary"})
        assert response.status_code == 404 and main_of(response) == missing, method
    assert web.get(f"/can-bo/{hue_secretary.pk}/").status_code == 404
    assert list(User.objects.filter(pk=hue_secretary.pk).values()) == before
    assert not AuditEvent.objects.filter(seq__gt=last, object_type="accounts.user").exists()


def test_moving_an_officer_to_hue_through_the_edit_page_is_refused(
    web: Client, tree: Any, secretary: User
) -> None:
    form = {
        "full_name": "Trần Văn Bình", "email": "binh@example.vn", "phone": "0912345678",
        "role": Role.CELL_SECRETARY, "organisation": tree.hue_cell.code,
    }  # fmt: skip
    response = web.post(f"/can-bo/{secretary.pk}/sua/", form)
    assert response.status_code == 200 and "organisation" in response.context["form"].errors
    assert User.objects.get(pk=secretary.pk).organisation_id == tree.cell_a.pk
    response = web.post(f"/can-bo/{secretary.pk}/sua/", {**form, "organisation": tree.cell_b.code})
    assert response.status_code == 302
    assert User.objects.get(pk=secretary.pk).organisation_id == tree.cell_b.pk


def test_the_detail_page_actions(web: Client, secretary: User) -> None:
    page = web.get(f"/can-bo/{secretary.pk}/").content.decode()
    assert (
        f"/can-bo/{secretary.pk}/vo-hieu-hoa/" in page and f"/can-bo/{secretary.pk}/dat-lai-xac-thuc/" in page
    )
    assert web.get(f"/can-bo/{secretary.pk}/vo-hieu-hoa/").status_code == 200  # the confirmation
    assert User.objects.get(pk=secretary.pk).is_active
    assert web.post(f"/can-bo/{secretary.pk}/vo-hieu-hoa/").status_code == 302
    assert not User.objects.get(pk=secretary.pk).is_active
    assert web.post(f"/can-bo/{secretary.pk}/vo-hieu-hoa/").status_code == 409  # already: the refusal page
    assert web.post(f"/can-bo/{secretary.pk}/kich-hoat/").status_code == 302
    assert web.post(f"/can-bo/{secretary.pk}/dat-lai-xac-thuc/").status_code == 302
    assert not TOTPDevice.objects.filter(user=secretary).exists()
    response = web.post(f"/can-bo/{secretary.pk}/dat-lai-mat-khau/", {"delivery": "temporary"})
    assert response.status_code == 200 and User.objects.get(pk=secretary.pk).check_password(
        response.context["password"]
    )


def test_ones_own_account_offers_no_action(web: Client, hanoi: User) -> None:
    page = web.get(f"/can-bo/{hanoi.pk}/").content.decode()
    assert f"/can-bo/{hanoi.pk}/vo-hieu-hoa/" not in page and "/dang-nhap/doi-mat-khau/" in page
    assert web.post(f"/can-bo/{hanoi.pk}/vo-hieu-hoa/").status_code == 409
    assert User.objects.get(pk=hanoi.pk).is_active


def test_a_link_that_cannot_be_sent_changes_nothing(web: Client, tree: Any, settings: Any) -> None:
    settings.PARTYCARD_MESSAGE_SENDER = "partycard.accounts.sender.EmailSender"  # no SMS channel
    form = {
        "username": "sms-only", "full_name": "Lê Văn Sáu", "email": "", "phone": "0911000222",
        "role": Role.CELL_SECRETARY, "organisation": tree.cell_b.code, "delivery": "sms",
    }  # fmt: skip
    response = web.post("/can-bo/them/", form)
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not User.objects.filter(username="sms-only").exists()
