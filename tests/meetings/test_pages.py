"""The meeting pages and the statistics up the tree: a secretary opens a meeting, records a member present
and excuses another; the statistics add up by organisation path prefix (cell, grassroots, province) and
show nothing of a sibling; the report page shows its attendance section."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from partycard.core import clock
from partycard.meetings.choices import CheckinMethod
from partycard.meetings.models import Attendance, Excuse, Meeting
from partycard.meetings.selectors import attendance_stats
from partycard.meetings.services import attendance_record, meeting_open
from tests.exchange.conftest import Officers

pytestmark = pytest.mark.django_db


def _client(login: Any, user: Any) -> Client:
    client = Client()
    login(client, user)
    return client


def test_a_secretary_opens_a_meeting_and_records_the_members(
    tree: Any, officers: Officers, make_member: Any, login: Any
) -> None:
    an = make_member(full_name="Nguyễn Văn An")
    binh = make_member(full_name="Trần Văn Bình", citizen_id="001080054321")
    web = _client(login, officers.cell)
    form = {
        "cell_code": tree.cell_a.code, "kind": "study_session", "title": "Học tập chuyên đề thẻ mới",
        "starts_at": "05/09/2026 08:00", "place": "Hội trường trường",
    }  # fmt: skip
    answer = web.post("/hop-chi-bo/mo/", form)
    meeting = Meeting.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/hop-chi-bo/{meeting.pk}/"
    assert (meeting.starts_at.day, meeting.starts_at.month, meeting.roster_size) == (5, 9, 2)
    web.post(f"/hop-chi-bo/{meeting.pk}/co-mat/", {"member": an.pk})
    web.post(
        f"/hop-chi-bo/{meeting.pk}/vang-co-ly-do/", {"member": binh.pk, "reason": "Ốm, có giấy của bệnh viện"}
    )
    assert Attendance.objects.get().member_id == an.pk
    assert Excuse.objects.get().reason == "Ốm, có giấy của bệnh viện"
    page = web.get(f"/hop-chi-bo/{meeting.pk}/").content.decode()
    assert "Nguyễn Văn An" in page and "Ốm, có giấy của bệnh viện" in page
    checkin = web.get(f"/hop-chi-bo/{meeting.pk}/diem-danh/")
    assert checkin.status_code == 200 and b"meetings/checkin.js" in checkin.content
    # Another cell's secretary: the same 404 as a missing meeting, and nothing written.
    other = _client(login, officers.other_cell)
    assert other.get(f"/hop-chi-bo/{meeting.pk}/").status_code == 404
    assert other.post(f"/hop-chi-bo/{meeting.pk}/dong/").status_code == 404
    assert other.post("/hop-chi-bo/mo/", {"cell_code": tree.cell_a.code, "kind": "regular", "title": "x",
                                          "starts_at": "05/09/2026 08:00"}).status_code == 200  # fmt: skip
    assert Meeting.objects.count() == 1


def test_statistics_add_up_the_tree_by_path_prefix(
    tree: Any, officers: Officers, make_member: Any, login: Any
) -> None:
    a1 = make_member(full_name="A Một", citizen_id="001080000031")
    make_member(full_name="A Hai", citizen_id="001080000032")
    b1 = make_member(organisation=tree.cell_b, full_name="B Một", citizen_id="001080000033")
    hue = make_member(organisation=tree.hue_cell, full_name="Huế Một", citizen_id="001080000034")
    at = clock.now() - dt.timedelta(days=3)
    ma = meeting_open(actor=None, cell=tree.cell_a, title="A", starts_at=at, at=at)
    mb = meeting_open(actor=None, cell=tree.cell_b, title="B", starts_at=at, at=at)
    mh = meeting_open(actor=None, cell=tree.hue_cell, title="Huế", starts_at=at, at=at)
    attendance_record(actor=None, meeting=ma, member=a1, method=CheckinMethod.MANUAL)
    attendance_record(actor=None, meeting=mb, member=b1, method=CheckinMethod.MANUAL)
    attendance_record(actor=None, meeting=mh, member=hue, method=CheckinMethod.MANUAL)
    end, start = clock.today(), clock.today() - dt.timedelta(days=30)
    school = attendance_stats(officers.grassroots, root=tree.school, start=start, end=end)
    assert (school.total.meetings_held, school.total.expected, school.total.attended) == (2, 3, 2)
    assert {c.code: (c.attended, c.expected, c.absent) for c in school.children} == {
        tree.cell_a.code: (1, 2, 1),
        tree.cell_b.code: (1, 1, 0),
    }
    province = attendance_stats(officers.province, root=tree.hanoi, start=start, end=end)
    assert [c.code for c in province.children] == [tree.ba_dinh.code] and province.total.meetings_held == 2
    cell = attendance_stats(officers.cell, root=tree.cell_a, start=start, end=end)
    assert cell.members == [("A Hai", 0, 0, 1), ("A Một", 1, 0, 0)]
    # The Centre sees both provinces; Hà Nội's officer asking for the Centre sees only Hà Nội's meetings.
    centre = attendance_stats(officers.centre, root=tree.centre, start=start, end=end)
    assert centre.total.meetings_held == 3
    assert (
        attendance_stats(officers.province, root=tree.centre, start=start, end=end).total.meetings_held == 2
    )
    web = _client(login, officers.province)
    page = web.get("/hop-chi-bo/thong-ke/").content.decode()
    assert "Đảng bộ phường Ba Đình" in page and "Huế" not in page
    assert web.get(f"/hop-chi-bo/thong-ke/?org={tree.hue.code}").status_code == 404
    report = web.get("/bao-cao/").content.decode()
    assert 'id="attendance-card"' in report
