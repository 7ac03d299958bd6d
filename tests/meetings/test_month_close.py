"""Closing a month for Party Charter Art. 8(2), tested from its text:

    "A party member who, without good reason, skips party activities or does not pay party dues for three
    months within a year is considered by the cell for removal from the Party."

So: a month counts when the member's cell held meetings that month and the member attended none of them
"without good reason" (an absence the secretary excused does not count); three such months within a year
make the member ineligible for the new card (exchange/eligibility.py's ``activities_skipped``). The month
close is idempotent and resumable.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from partycard.exchange.eligibility import ReasonCode, Rules, evaluate
from partycard.exchange.services.evaluation import facts_of
from partycard.meetings.choices import CheckinMethod
from partycard.meetings.errors import MonthNotOver
from partycard.meetings.models import MonthClose
from partycard.meetings.services import attendance_record, excuse_record, meeting_open, month_close
from partycard.registry.models import Member
from tests.conftest import recent_months
from tests.exchange.conftest import Officers

pytestmark = pytest.mark.django_db


def _month_day(month: str, day: int = 10) -> dt.datetime:
    year, number = int(month[:4]), int(month[5:])
    return dt.datetime(year, number, day, 19, 30, tzinfo=timezone.get_default_timezone())


def _ineligible_for_skipping(member: Member) -> bool:
    member.refresh_from_db()
    verdict = evaluate(facts_of(member), Rules(cut_off=dt.date.today()), today=dt.date.today())
    return ReasonCode.ACTIVITIES_SKIPPED in verdict.codes


def test_three_months_without_good_reason_within_a_year(
    tree: Any, officers: Officers, make_member: Any
) -> None:
    absent = make_member(full_name="Vắng Mặt", citizen_id="001080000001")
    excused = make_member(full_name="Có Lý Do", citizen_id="001080000002")
    present = make_member(full_name="Có Mặt", citizen_id="001080000003")
    other_cell = make_member(organisation=tree.cell_b, full_name="Chi Bộ Khác", citizen_id="001080000004")
    months = recent_months(3, back=1)  # the three months before this one
    for k, month in enumerate(months):
        at = _month_day(month)
        meeting = meeting_open(
            actor=officers.cell, cell=tree.cell_a, title=f"Sinh hoạt {month}", starts_at=at, at=at
        )
        attendance_record(
            actor=officers.cell, meeting=meeting, member=present, method=CheckinMethod.MANUAL, at=at
        )
        if k == 0:  # a good reason, once: that month does not count
            excuse_record(actor=officers.cell, meeting=meeting, member=excused, reason="Đi công tác")
    for month in months:
        record = month_close(month=month)
        assert record.finished_at is not None and record.cells_done == 1
    for m in (absent, excused, present, other_cell):
        m.refresh_from_db()
    assert absent.activities_skipped_months == months
    assert excused.activities_skipped_months == months[1:]
    assert present.activities_skipped_months == [] and other_cell.activities_skipped_months == []
    # Three months within a year: considered for removal, so not given the new card; two are not enough.
    assert _ineligible_for_skipping(absent)
    assert not _ineligible_for_skipping(excused)
    # Recorded through the registry's service: the member's history says why.
    assert absent.history.filter(history_change_reason__contains=months[0][5:]).exists()


def test_closing_again_changes_nothing_and_a_stopped_run_resumes(
    tree: Any, officers: Officers, make_member: Any
) -> None:
    a = make_member(full_name="Ở Chi Bộ A", citizen_id="001080000011")
    b = make_member(organisation=tree.cell_b, full_name="Ở Chi Bộ B", citizen_id="001080000012")
    (month,) = recent_months(1, back=1)
    at = _month_day(month)
    for cell in (tree.cell_a, tree.cell_b):
        meeting_open(actor=None, cell=cell, title="Sinh hoạt", starts_at=at, at=at)
    # A run that stopped after cell A (its member already recorded), then resumed.
    first_cell = min(tree.cell_a.pk, tree.cell_b.pk)
    done = a if first_cell == tree.cell_a.pk else b
    MonthClose.objects.create(
        month=month, started_at=at, last_cell_id=first_cell, cells_done=1, months_recorded=1
    )
    Member.objects.filter(pk=done.pk).update(activities_skipped_months=[month])
    record = month_close(month=month)
    assert (record.cells_done, record.months_recorded) == (2, 2)
    again = month_close(month=month)
    assert (again.cells_done, again.months_recorded) == (2, 2)
    for m in (a, b):
        m.refresh_from_db()
        assert m.activities_skipped_months == [month]


def test_a_cell_without_meetings_records_nothing_and_a_month_must_be_over(
    tree: Any, make_member: Any
) -> None:
    member = make_member()
    (month,) = recent_months(1, back=1)
    assert month_close(month=month).cells_done == 0
    member.refresh_from_db()
    assert member.activities_skipped_months == []
    (this_month,) = recent_months(1)
    with pytest.raises(MonthNotOver):
        month_close(month=this_month)


def test_the_command(tree: Any, make_member: Any) -> None:
    member = make_member()
    (month,) = recent_months(1, back=2)
    at = _month_day(month, 3)
    meeting_open(actor=None, cell=tree.cell_a, title="Sinh hoạt", starts_at=at, at=at)
    out = io.StringIO()
    call_command("meetings", "close-month", "--month", month, stdout=out)
    assert "1 cells, 1 members" in out.getvalue()
    member.refresh_from_db()
    assert member.activities_skipped_months == [month]
    with pytest.raises(CommandError):
        call_command("meetings", "close-month", "--month", "2026-13", stdout=io.StringIO())
