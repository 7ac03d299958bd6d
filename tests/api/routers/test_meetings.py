"""The meetings routes: open, roster, the phone's sync (bearer token or the secretary's CSRF-checked
session), the statistics, and ``GET /me/meetings`` (the member's session only), with the scope rules."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from partycard.accounts.models import Role, User
from partycard.core import clock
from partycard.meetings.models import Attendance
from partycard.meetings.services import attendance_record, meeting_open
from tests.exchange.conftest import Officers
from tests.meetings.conftest import authority, holder, officers

pytestmark = pytest.mark.django_db
__all__ = ["authority", "holder", "officers"]


def _open(api: Any, tree: Any) -> Any:
    return api.post(
        "/meetings",
        {"cell": tree.cell_a.code, "kind": "study_session", "title": "Học tập chuyên đề",
         "starts_at": clock.now().isoformat(), "place": "Hội trường"},
    )  # fmt: skip


def test_open_roster_sync_twice_and_stats(api_as: Any, tree: Any, officers: Officers, holder: Any) -> None:
    phone = holder(full_name="Đỗ Văn Tâm")
    api = api_as(officers.cell)
    opened = _open(api, tree)
    assert opened.status_code == 201, opened.content
    meeting_id = opened.json()["id"]
    roster = api.get(f"/meetings/{meeting_id}/roster").json()
    assert [m["full_name"] for m in roster["members"]] == ["Đỗ Văn Tâm"]
    assert roster["members"][0]["card_numbers"] == [phone.credential.card_number]
    body = {"device": "điện thoại", "checkins": [
        {"client_uuid": str(uuid.uuid4()), "qr": phone.qr(clock.now()), "scanned_at": clock.now().isoformat()}
    ]}  # fmt: skip
    first = api.post(f"/meetings/{meeting_id}/checkins", body)
    second = api.post(f"/meetings/{meeting_id}/checkins", body)
    assert first.status_code == second.status_code == 200, first.content
    assert [r["result"] for r in first.json()] == ["new"] and [r["result"] for r in second.json()] == [
        "duplicate"
    ]
    assert Attendance.objects.count() == 1
    stats = api_as(officers.grassroots).get("/meetings/stats").json()
    assert (stats["total"]["meetings_held"], stats["total"]["attended"], stats["total"]["rate"]) == (
        1,
        1,
        1.0,
    )
    assert [c["code"] for c in stats["children"]] == [tree.cell_a.code]


def test_another_province_sees_and_syncs_nothing(
    api_as: Any, tree: Any, officers: Officers, holder: Any
) -> None:
    phone = holder()
    meeting = meeting_open(actor=officers.cell, cell=tree.cell_a, title="Sinh hoạt", starts_at=clock.now())
    hue = api_as(officers.hue_cell)
    assert hue.get(f"/meetings/{meeting.pk}").status_code == 404
    assert hue.get(f"/meetings/{meeting.pk}/roster").status_code == 404
    body = {"checkins": [{"client_uuid": str(uuid.uuid4()), "qr": phone.qr(clock.now()),
                          "scanned_at": clock.now().isoformat()}]}  # fmt: skip
    assert hue.post(f"/meetings/{meeting.pk}/checkins", body).status_code == 404
    assert hue.get("/meetings").json() == []
    assert (
        hue.post(
            "/meetings", {"cell": tree.cell_a.code, "title": "x", "starts_at": clock.now().isoformat()}
        ).status_code
        == 404
    )
    assert not Attendance.objects.exists()


def test_the_secretarys_session_syncs_with_the_csrf_token_only(
    tree: Any, officers: Officers, holder: Any, login: Any
) -> None:
    phone = holder()
    meeting = meeting_open(actor=officers.cell, cell=tree.cell_a, title="Sinh hoạt", starts_at=clock.now())
    client = Client(enforce_csrf_checks=True)
    login(client, officers.cell)
    page = client.get(f"/hop-chi-bo/{meeting.pk}/diem-danh/")
    assert page.status_code == 200
    token = page.context["csrf_token"]
    body = json.dumps({"checkins": [{"client_uuid": str(uuid.uuid4()), "qr": phone.qr(clock.now()),
                                     "scanned_at": clock.now().isoformat()}]})  # fmt: skip
    url = f"/api/v1/meetings/{meeting.pk}/checkins"
    assert client.post(url, body, content_type="application/json").status_code in (401, 403)
    answer = client.post(url, body, content_type="application/json", headers={"X-CSRFToken": str(token)})
    assert answer.status_code == 200, answer.content
    assert answer.json()[0]["result"] == "new"


def test_a_session_without_the_second_factor_is_refused(tree: Any, officers: Officers) -> None:
    meeting = meeting_open(actor=officers.cell, cell=tree.cell_a, title="Sinh hoạt", starts_at=clock.now())
    client = Client()
    client.force_login(officers.cell)  # password only: the TOTP step not passed
    assert client.get(f"/api/v1/meetings/{meeting.pk}/roster").status_code == 401


def test_me_meetings_answers_the_members_own_attendance_only(
    tree: Any, officers: Officers, make_member: Any, login: Any
) -> None:
    mine = make_member(full_name="Đảng Viên A", citizen_id="001080000021")
    neighbour = make_member(full_name="Đảng Viên B", citizen_id="001080000022")
    meeting = meeting_open(
        actor=officers.cell, cell=tree.cell_a, title="Sinh hoạt tháng", starts_at=clock.now()
    )
    meeting_open(actor=officers.other_cell, cell=tree.cell_b, title="Chi bộ khác", starts_at=clock.now())
    attendance_record(actor=officers.cell, meeting=meeting, member=neighbour, method="manual")
    user = User.objects.create_user(
        "dv-a", password="x", role=Role.MEMBER, organisation=tree.cell_a, member=mine
    )
    half = Client()
    half.force_login(user)  # the password only: the SMS code not given yet
    assert half.get("/api/v1/me/meetings").status_code == 401
    client = Client()
    login(client, user)  # and the SMS code
    answer = client.get("/api/v1/me/meetings")
    assert answer.status_code == 200, answer.content
    assert [(m["title"], m["attended"]) for m in answer.json()] == [("Sinh hoạt tháng", False)]
    attendance_record(actor=officers.cell, meeting=meeting, member=mine, method="manual")
    assert client.get("/api/v1/me/meetings").json()[0]["attended"] is True
    officer = Client()
    officer.force_login(officers.cell)
    assert officer.get("/api/v1/me/meetings").status_code == 401
