"""The registry routes: scoped exactly like the UI, field errors as problem+json, writes audited.

Hà Nội and Huế are sibling provinces (tests/conftest.py ``tree``): a Hà Nội officer never reads, lists,
changes or creates under anything of Huế's, and gets the same 404 as for something that does not exist.
"""

from __future__ import annotations

from typing import Any

import pytest

from partycard.accounts.models import Role
from partycard.audit.models import AuditEvent
from partycard.registry.models import Member, Organisation

from ..conftest import Api

pytestmark = pytest.mark.django_db

NEW_MEMBER = {
    "organisation": "HN-BD-01-01",
    "full_name": "Trần Thị Bình",
    "gender": "F",
    "date_of_birth": "1985-07-02",
    "citizen_id": "001185012345",
    "date_admitted": "2010-03-03",
    "status": "probationary",
}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def _fields(response: Any) -> set[str | None]:
    return {e["field"] for e in _problem(response, 422)["errors"]}


# ---- scope ---------------------------------------------------------------------------------------


def test_organisation_list_defaults_to_the_scope_root_and_pages_by_cursor(api: Api, tree) -> None:
    body = api.get("/organisations").json()
    assert [o["code"] for o in body["items"]] == ["HN-BD"] and body["next_cursor"] is None
    first = api.get("/organisations", {"parent": "HN-BD-01", "limit": 1}).json()
    assert [o["code"] for o in first["items"]] == ["HN-BD-01-01"] and first["next_cursor"]
    second = api.get("/organisations", {"parent": "HN-BD-01", "limit": 1, "cursor": first["next_cursor"]})
    assert [o["code"] for o in second.json()["items"]] == ["HN-BD-01-02"]
    assert second.json()["next_cursor"] is None
    assert first["items"][0] | {"parent": "HN-BD-01", "level": 6} == first["items"][0]
    _problem(api.get("/organisations", {"cursor": "not a code!"}), 400)


def test_central_admin_lists_the_provinces(api_as, make_user, tree) -> None:
    admin = make_user("tw", Role.CENTRAL_ADMIN, org=tree.centre)
    assert [o["code"] for o in api_as(admin).get("/organisations").json()["items"]] == ["HN", "HUE"]


def test_the_sibling_province_is_invisible_and_unchangeable(api: Api, tree, make_member) -> None:
    hue_member = make_member(org=tree.hue_cell, full_name="Lê Văn Huế", citizen_id="001080099999")
    make_member(full_name="Phạm Văn Hà", citizen_id="001080011111")
    missing = _problem(api.get("/organisations/NOPE"), 404)
    for response in (
        api.get("/organisations/HUE"),
        api.get("/organisations", {"parent": "HUE"}),
        api.patch("/organisations/HUE-TH", {"name": "Đổi tên"}),
        api.get(f"/members/{hue_member.pk}"),
        api.patch(f"/members/{hue_member.pk}", {"phone": "0912345678"}),
        api.get("/members", {"organisation": "HUE-TH-01"}),
    ):
        assert _problem(response, 404)["detail"] == missing["detail"]
    listed = api.get("/members", {"limit": 200}).json()["items"]
    assert [m["full_name"] for m in listed] == ["Phạm Văn Hà"]
    assert api.get("/organisations", {"parent": "TW"}).status_code == 404  # above the scope root
    assert Organisation.objects.get(code="HUE-TH").name == "Đảng bộ phường Thuận Hóa"
    assert Member.objects.get(pk=hue_member.pk).phone == ""


def test_creating_under_the_sibling_is_a_field_error_as_for_a_missing_code(api: Api, tree) -> None:
    org = {"code": "HUE-TH-09", "name": "Chi bộ lạ", "level": 4, "parent": "HUE-TH"}
    outside = _problem(api.post("/organisations", org), 422)["errors"]
    missing = _problem(api.post("/organisations", org | {"parent": "NOPE"}), 422)["errors"]
    assert outside == missing and outside[0]["field"] == "parent"
    assert _fields(api.post("/members", NEW_MEMBER | {"organisation": "HUE-TH-01"})) == {"organisation"}
    assert not Organisation.objects.filter(code="HUE-TH-09").exists()
    assert not Member.objects.filter(full_name="Trần Thị Bình").exists()


def test_a_member_token_is_refused(api_as, make_user, tree, make_member) -> None:
    """Members get no API tokens (issue 16): one made before is a 401 on every route; the member reads
    their own record through the member's app (/api/v1/me, tests/memberapp/test_api.py)."""
    own = make_member()
    other = make_member(full_name="Người Khác", citizen_id="001080011111")
    api = api_as(make_user("dv", Role.MEMBER, org=tree.cell_a, member=own))
    for response in (
        api.get("/members"),
        api.get(f"/members/{own.pk}"),
        api.get(f"/members/{other.pk}"),
        api.patch(f"/members/{own.pk}", {"phone": "0912345678"}),
        api.get("/organisations"),
        api.post("/members", NEW_MEMBER),
    ):
        _problem(response, 401)
    assert Member.objects.get(pk=own.pk).phone == ""


def test_an_inspector_reads_but_cannot_write(api_as, make_user, tree, make_member) -> None:
    member = make_member()
    api = api_as(make_user("tt", Role.INSPECTOR))
    assert api.get(f"/members/{member.pk}").status_code == 200
    assert api.get("/organisations/HN-BD").status_code == 200
    _problem(api.post("/members", NEW_MEMBER), 403)
    _problem(api.post("/organisations", {"code": "HN-X", "name": "X", "level": 2, "parent": "HN"}), 403)
    _problem(api.patch(f"/members/{member.pk}", {"phone": "0912345678"}), 404)
    _problem(api.patch("/organisations/HN-BD", {"name": "Đổi tên"}), 404)
    assert Member.objects.count() == 1 and Member.objects.get().phone == ""
    assert not AuditEvent.objects.filter(actor="tt").exists()


# ---- writes --------------------------------------------------------------------------------------


def test_create_and_update_a_member_audited_as_the_tokens_user(api: Api, officer, tree) -> None:
    created = api.post("/members", NEW_MEMBER)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["organisation"] == "HN-BD-01-01" and body["date_of_birth"] == "1985-07-02"
    changed = api.patch(f"/members/{body['id']}", {"phone": "0912345678", "reason": "cập nhật"})
    assert changed.status_code == 200 and changed.json()["phone"] == "0912345678"
    member = Member.objects.get(pk=body["id"])
    assert member.history.latest().history_user == officer
    assert member.history.latest().history_change_reason == "cập nhật"
    events = AuditEvent.objects.filter(object_type="registry.member", object_id=str(member.pk))
    assert [(e.action, e.actor_id) for e in events] == [("create", officer.pk), ("change", officer.pk)]


def test_create_and_rename_an_organisation(api: Api, officer, tree) -> None:
    org = {"code": "HN-BD-02", "name": "Chi bộ cơ sở Chợ", "level": 4, "parent": "HN-BD"}
    created = api.post("/organisations", org)
    assert created.status_code == 201 and created.json()["path"] == "TW.HN.HN-BD.HN-BD-02."
    renamed = api.patch("/organisations/HN-BD-02", {"name": "Chi bộ cơ sở Chợ Ngọc Hà"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Chi bộ cơ sở Chợ Ngọc Hà"
    actions = AuditEvent.objects.filter(object_type="registry.organisation", actor_id=officer.pk)
    assert [e.action for e in actions] == ["create", "change"]
    assert "code" in _fields(api.post("/organisations", org))  # the code is taken
    assert _fields(api.post("/organisations", org | {"code": "HN-BD-03", "level": 6})) == {"parent"}


def test_a_bad_citizen_id_is_a_field_error_and_nothing_is_written(api: Api, tree, make_member) -> None:
    member = make_member()
    audit_rows, members = AuditEvent.objects.count(), Member.objects.count()
    refused = api.post("/members", NEW_MEMBER | {"citizen_id": "0010800123"})
    body = _problem(refused, 422)
    assert body["type"] == "urn:partycard:problem:validation"
    assert [e["field"] for e in body["errors"]] == ["citizen_id"] and body["errors"][0]["reason"]
    assert _fields(api.patch(f"/members/{member.pk}", {"citizen_id": "0010800123"})) == {"citizen_id"}
    assert Member.objects.count() == members and Member.objects.get(pk=member.pk).citizen_id == "001080012345"
    assert AuditEvent.objects.count() == audit_rows


def test_request_shape_errors_name_their_field(api: Api, tree, make_member) -> None:
    member = make_member()
    assert _fields(api.post("/members", NEW_MEMBER | {"gender": "X"})) == {"gender"}
    assert _fields(api.post("/members", NEW_MEMBER | {"date_of_birth": "12/03/1980"})) == {"date_of_birth"}
    assert _fields(api.post("/members", NEW_MEMBER | {"nickname": "x"})) == {"nickname"}
    assert _fields(api.patch(f"/members/{member.pk}", {"full_name": None})) == {"full_name"}
    assert _fields(api.get("/members", {"limit": 0})) == {"limit"}
    assert _fields(api.get("/members", {"age_band": "1-2"})) == {"age_band"}
    _problem(api.client.post("/api/v1/members", "{", content_type="application/json",
                             headers={"Authorization": f"Bearer {api.token}"}), 400)  # fmt: skip


def test_not_found_and_method_not_allowed_are_problems(api: Api) -> None:
    _problem(api.get("/nothing-here"), 404)
    _problem(api.get("/"), 404)
    response = api.client.delete("/api/v1/members/1", headers={"Authorization": f"Bearer {api.token}"})
    _problem(response, 405)
    assert "PATCH" in response["Allow"] and "GET" in response["Allow"]


# ---- member list ---------------------------------------------------------------------------------


def test_member_list_keyset_pages_cover_everything_once(api: Api, tree, make_member) -> None:
    for i in range(7):
        make_member(full_name=f"Nguyễn Văn {chr(ord('A') + i)}", citizen_id=f"00108001{i:04d}")
    make_member(org=tree.hue_cell, full_name="Nguyễn Văn Huế", citizen_id="001080099999")
    seen, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"q": "nguyen van", "limit": 3} | ({"cursor": cursor} if cursor else {})
        body = api.get("/members", params).json()
        seen += [m["full_name"] for m in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and seen == [f"Nguyễn Văn {c}" for c in "ABCDEFG"]
    _problem(api.get("/members", {"cursor": "!!"}), 400)


def test_member_list_filters(api: Api, tree, make_member) -> None:
    make_member(full_name="Nam Một", citizen_id="001080000001")
    make_member(org=tree.cell_b, full_name="Nữ Hai", gender="F", citizen_id="001180000002")
    by = lambda **p: [m["full_name"] for m in api.get("/members", p).json()["items"]]  # noqa: E731
    assert by(gender="F") == ["Nữ Hai"]
    assert by(organisation="HN-BD-01-01") == ["Nam Một"]
    assert by(status="probationary") == []
    assert by(age_band="76+") == []
    assert sorted(by(age_band="46-60") + by(age_band="31-45")) == ["Nam Một", "Nữ Hai"]


# ---- the leak matrix, from the role table ---------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_no_role_reaches_the_sibling_province(role: str, api_as, make_user, tree, make_member) -> None:
    """Each role, placed in Hà Nội as the UI places it, gets Huế's objects as 404s and never lists them."""
    own = make_member()
    hue = make_member(org=tree.hue_cell, full_name="Lê Văn Huế", citizen_id="001080099999")
    where = {Role.GRASSROOTS_OFFICER: tree.school, Role.CELL_SECRETARY: tree.cell_a, Role.MEMBER: tree.cell_a}
    member = own if role == Role.MEMBER else None
    api = api_as(make_user(f"u-{role}", role, org=where.get(role, tree.hanoi), member=member))
    refused = 401 if role == Role.MEMBER else 404  # a member's token is refused outright (issue 16)
    for response in (
        api.get(f"/members/{hue.pk}"),
        api.patch(f"/members/{hue.pk}", {"phone": "0912345678"}),
        api.get("/organisations/HUE-TH-01"),
        api.patch("/organisations/HUE-TH-01", {"name": "X"}),
        api.get("/organisations", {"parent": "HUE"}),
        api.get("/members", {"organisation": "HUE-TH-01"}),
    ):
        _problem(response, refused)
    assert hue.pk not in [m["id"] for m in api.get("/members", {"limit": 200}).json().get("items", [])]
    assert "HUE" not in str(api.get("/organisations").json().get("items", []))
    created = api.post("/members", NEW_MEMBER | {"organisation": "HUE-TH-01"})
    assert created.status_code in (401, 403, 422)
    assert not Member.objects.filter(full_name="Trần Thị Bình").exists()
    assert Member.objects.get(pk=hue.pk).phone == ""


def test_unicode_digits_and_invisible_name_characters_are_field_errors(api: Api, tree) -> None:
    """Issue 12: the API reads codes as ASCII digits only, and refuses names holding bidi or zero-width
    characters."""
    assert _fields(api.post("/members", NEW_MEMBER | {"old_card_number": "１２３４５６７８"})) == {
        "old_card_number"
    }
    assert _fields(api.post("/members", NEW_MEMBER | {"file_number": "٠٠٠١٢٣HN"})) == {"file_number"}
    assert _fields(api.post("/members", NEW_MEMBER | {"full_name": "Trần Thị\u202e Bình"})) == {"full_name"}
    assert _fields(api.post("/members", NEW_MEMBER | {"birth_name": "Trần\u200bBình"})) == {"birth_name"}
    org = {"code": "HN-BD-02", "name": "Chi bộ\u2066 Ngọc Hà", "level": 4, "parent": "HN-BD"}
    assert _fields(api.post("/organisations", org)) == {"name"}
    assert not Member.objects.exists() and not Organisation.objects.filter(code="HN-BD-02").exists()
