"""Meetings and check-in: opening and closing, the secretary's offline check-ins synced (twice, once
recorded), what the server refuses when it verifies them again, the chip and manual ways, and the scope."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from partycard.audit.models import AuditEvent
from partycard.core import clock
from partycard.core.scope import OutOfScope
from partycard.credentials import publishing
from partycard.credentials.models import CredentialStatus
from partycard.credentials.services import credential_status_set
from partycard.meetings.choices import CheckinMethod, MeetingKind, MeetingState
from partycard.meetings.errors import MeetingClosed, NotACell, NotInTheCell
from partycard.meetings.models import Attendance
from partycard.meetings.services import (
    CheckinIn,
    attendance_record,
    checkins_sync,
    meeting_close,
    meeting_open,
)
from tests.exchange.conftest import Officers

pytestmark = pytest.mark.django_db


def _open(officers: Officers, tree: Any, at: dt.datetime | None = None, **kw: Any) -> Any:
    return meeting_open(
        actor=officers.cell, cell=tree.cell_a, kind=MeetingKind.STUDY_SESSION,
        title="Học tập chuyên đề thẻ đảng viên mới", starts_at=at or clock.now(), place="Hội trường", at=at,
        **kw,
    )  # fmt: skip


def _item(qr: str, at: dt.datetime, key: uuid.UUID | None = None) -> CheckinIn:
    return CheckinIn(client_uuid=key or uuid.uuid4(), qr=qr, scanned_at=at)


def test_a_secretary_opens_and_closes_a_meeting_of_their_cell(
    tree: Any, officers: Officers, make_member: Any
) -> None:
    make_member()
    meeting = _open(officers, tree)
    assert (meeting.state, meeting.roster_size, meeting.path) == (MeetingState.OPEN, 1, tree.cell_a.path)
    closed = meeting_close(actor=officers.cell, meeting=meeting)
    assert closed.state == MeetingState.CLOSED and closed.closed_by == officers.cell
    with pytest.raises(MeetingClosed):
        meeting_close(actor=officers.cell, meeting=meeting)
    assert AuditEvent.objects.filter(action__in=["meeting.open", "meeting.close"]).count() == 2


def test_the_sibling_cell_or_another_province_may_not_open_or_close_it(tree: Any, officers: Officers) -> None:
    for actor in (officers.other_cell, officers.hue_upper, officers.hue_cell):
        with pytest.raises(OutOfScope):
            meeting_open(actor=actor, cell=tree.cell_a, title="x", starts_at=clock.now())
    meeting = _open(officers, tree)
    with pytest.raises(OutOfScope):
        meeting_close(actor=officers.other_cell, meeting=meeting)
    # A committee officer over the cell may (the grassroots committee above it).
    meeting_close(actor=officers.grassroots, meeting=meeting)
    with pytest.raises(NotACell):
        meeting_open(actor=officers.grassroots, cell=tree.school, title="x", starts_at=clock.now())


def test_two_syncs_of_the_same_checkin_record_one_attendance(
    holder: Any, tree: Any, officers: Officers
) -> None:
    phone = holder(full_name="Trần Thị Thu", gender="F", citizen_id="001180011111")
    meeting = _open(officers, tree)
    scanned = clock.now()
    item = _item(phone.qr(scanned), scanned)
    first = checkins_sync(actor=officers.cell, meeting=meeting, items=[item], device="điện thoại bí thư")
    second = checkins_sync(actor=officers.cell, meeting=meeting, items=[item], device="điện thoại bí thư")
    assert [r.result for r in first] == ["new"], first
    assert [r.result for r in second] == ["duplicate"]
    assert first[0].attendance_id == second[0].attendance_id
    attendance = Attendance.objects.get(meeting=meeting)
    assert (attendance.member_id, attendance.method, attendance.qr) == (
        phone.member.pk,
        CheckinMethod.QR,
        item.qr,
    )
    # A second scan of the same member (a new identifier, a later window) is a duplicate too.
    later = scanned + dt.timedelta(minutes=2)
    again = checkins_sync(actor=officers.cell, meeting=meeting, items=[_item(phone.qr(later), later)])
    assert [r.result for r in again] == ["duplicate"]
    assert Attendance.objects.count() == 1


def test_a_checkin_synced_hours_later_is_judged_at_its_scan_time(
    holder: Any, tree: Any, officers: Officers
) -> None:
    phone = holder()
    opened = clock.now()
    meeting = _open(officers, tree, at=opened)
    scanned = opened + dt.timedelta(minutes=10)
    synced = scanned + dt.timedelta(hours=5)  # the secretary got back to the network in the evening
    item = _item(phone.qr(scanned), scanned)
    (result,) = checkins_sync(actor=officers.cell, meeting=meeting, items=[item], at=synced)
    assert result.result == "new", result.reasons
    # The same QR claimed for a scan at the sync time is outside its window: refused.
    (late,) = checkins_sync(actor=officers.cell, meeting=meeting, items=[_item(item.qr, synced)], at=synced)
    assert late.result == "refused" and "device_proof_expired" in [r.code for r in late.reasons]


def test_the_server_refuses_an_expired_window(holder: Any, tree: Any, officers: Officers) -> None:
    """ecard/device.py: a verifier accepts the current window ± 1: a QR shown two minutes before the scan
    time recorded (a screenshot) is refused."""
    phone = holder()
    meeting = _open(officers, tree, at=clock.now() - dt.timedelta(minutes=10))
    scanned = clock.now()
    old = phone.qr(scanned - dt.timedelta(minutes=2))
    (result,) = checkins_sync(actor=officers.cell, meeting=meeting, items=[_item(old, scanned)])
    assert result.result == "refused" and "device_proof_expired" in [r.code for r in result.reasons]
    assert not Attendance.objects.exists()


def test_the_server_refuses_a_member_of_another_cell(holder: Any, tree: Any, officers: Officers) -> None:
    phone = holder(organisation=tree.cell_b)
    meeting = _open(officers, tree)
    now = clock.now()
    (result,) = checkins_sync(actor=officers.cell, meeting=meeting, items=[_item(phone.qr(now), now)])
    assert (result.result, [r.code for r in result.reasons]) == ("refused", ["not_in_cell"])


def test_the_server_refuses_a_revoked_card(holder: Any, tree: Any, officers: Officers) -> None:
    phone = holder()
    meeting = _open(officers, tree)
    now = clock.now()
    qr = phone.qr(now)
    credential_status_set(
        actor=None, credential=phone.credential, status=CredentialStatus.REVOKED, reason="lost"
    )
    publishing.caches_clear()
    (result,) = checkins_sync(actor=officers.cell, meeting=meeting, items=[_item(qr, now)])
    assert result.result == "refused" and "revoked" in [r.code for r in result.reasons]


def test_the_scan_time_is_bounded(holder: Any, tree: Any, officers: Officers) -> None:
    """meetings/checkin.py: not in the future, not older than the sync delay, inside the meeting."""
    phone = holder()
    opened = clock.now() + dt.timedelta(days=1)  # after the e-card's issue: its QR is valid throughout
    meeting = _open(officers, tree, at=opened)
    day = dt.timedelta(days=1)
    cases = {  # code: (scanned at, received at)
        "scan_in_future": (opened + day + dt.timedelta(hours=1), opened + day),
        "sync_too_late": (opened + dt.timedelta(hours=1), opened + 9 * day),
        "before_meeting": (opened - dt.timedelta(hours=1), opened + day),
    }
    for code, (at, received) in cases.items():
        items = [_item(phone.qr(at), at)]
        (result,) = checkins_sync(actor=officers.cell, meeting=meeting, items=items, at=received)
        assert [r.code for r in result.reasons] == [code], (code, result)
    meeting_close(actor=officers.cell, meeting=meeting, at=opened + dt.timedelta(hours=2))
    late = opened + dt.timedelta(hours=3)
    (result,) = checkins_sync(
        actor=officers.cell, meeting=meeting, items=[_item(phone.qr(late), late)], at=opened + day
    )
    assert [r.code for r in result.reasons] == ["after_meeting"]
    # Scanned while it was open, synced after it closed: taken.
    scanned = opened + dt.timedelta(hours=1)
    (result,) = checkins_sync(
        actor=officers.cell, meeting=meeting, items=[_item(phone.qr(scanned), scanned)], at=opened + day
    )
    assert result.result == "new", result.reasons
    assert Attendance.objects.count() == 1


def test_a_qr_altered_after_the_scan_is_refused(holder: Any, tree: Any, officers: Officers) -> None:
    """The server never trusts the phone's verdict: it verifies the text sent, which must be genuine."""
    phone = holder()
    meeting = _open(officers, tree)
    now = clock.now()
    (result,) = checkins_sync(actor=officers.cell, meeting=meeting, items=[_item("PC1R:NOT-A-CARD", now)])
    assert result.result == "refused" and [r.code for r in result.reasons] == ["qr_malformed"]
    assert phone and not Attendance.objects.exists()


def test_sync_into_another_cells_meeting_is_out_of_scope(holder: Any, tree: Any, officers: Officers) -> None:
    phone = holder()
    meeting = _open(officers, tree)
    now = clock.now()
    for actor in (officers.other_cell, officers.hue_cell, officers.hue_upper):
        with pytest.raises(OutOfScope):
            checkins_sync(actor=actor, meeting=meeting, items=[_item(phone.qr(now), now)])
    assert not Attendance.objects.exists()


def test_chip_and_manual_checkins_are_idempotent(tree: Any, officers: Officers, make_member: Any) -> None:
    member = make_member()
    stranger = make_member(organisation=tree.cell_b, citizen_id="001080022222")
    meeting = _open(officers, tree)
    first, created = attendance_record(
        actor=officers.cell, meeting=meeting, member=member, method=CheckinMethod.CHIP
    )
    again, created_again = attendance_record(
        actor=officers.cell, meeting=meeting, member=member, method=CheckinMethod.MANUAL
    )
    assert created and not created_again and first.pk == again.pk and again.method == CheckinMethod.CHIP
    with pytest.raises(OutOfScope):  # the secretary of cell A does not see cell B's member
        attendance_record(actor=officers.cell, meeting=meeting, member=stranger, method=CheckinMethod.MANUAL)
    with pytest.raises(NotInTheCell):  # their committee does, but they are not of this cell
        attendance_record(
            actor=officers.grassroots, meeting=meeting, member=stranger, method=CheckinMethod.MANUAL
        )
    meeting_close(actor=officers.cell, meeting=meeting)
    with pytest.raises(MeetingClosed):
        attendance_record(actor=officers.cell, meeting=meeting, member=member, method=CheckinMethod.MANUAL)
