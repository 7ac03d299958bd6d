"""Closing a month, from the Party Charter's text.

Charter Art. 8(2): "Đảng viên bỏ sinh hoạt đảng hoặc không đóng đảng phí ba tháng trong năm mà không có lý
do chính đáng ... thì chi bộ xem xét, đề nghị lên cấp có thẩm quyền xóa tên" — a member who, without good
reason, does not pay dues for three months within a year is considered for removal. So: three months closed
unpaid within a rolling year make the member ineligible with the dues reason; two do not; a good reason
excuses; and a month paid late (confirmed afterwards) is no longer a month not paid.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partycard.audit.models import AuditEvent
from partycard.dues import services
from partycard.dues.errors import MonthNotEnded
from partycard.dues.jobs import month_close_start
from partycard.dues.models import MonthClose
from partycard.dues.months import month_key
from partycard.exchange.eligibility import ReasonCode
from partycard.exchange.services import verdict_of
from partycard.jobs.models import Job, JobChunk
from partycard.jobs.runner import job_run
from partycard.registry import services as registry
from partycard.registry.models import Member
from tests.dues.conftest import months_ago

pytestmark = pytest.mark.django_db


def _close(month: Any, **kwargs: Any) -> Job:
    job = month_close_start(actor=None, month=month, enqueue=False, **kwargs)
    return job_run(job.pk)


def _unpaid(member: Any) -> list[str]:
    return list(Member.objects.get(pk=member.pk).dues_unpaid_months)


def test_three_months_unpaid_within_a_year_make_a_member_ineligible_with_the_dues_reason(
    officers: Any, campaign: Any, members: list[Any], tree: Any
) -> None:
    a, b, _ = members
    for n in (3, 2, 1):  # b pays every month, a none
        services.payments_record(
            actor=officers.cell, cell=tree.cell_a, month=months_ago(n), amounts={b.pk: 30_000}
        )
    _close(months_ago(3))
    _close(months_ago(2))
    assert _unpaid(a) == [month_key(months_ago(3)), month_key(months_ago(2))]
    assert verdict_of(Member.objects.get(pk=a.pk), campaign).eligible  # two months: not yet
    _close(months_ago(1))
    verdict = verdict_of(Member.objects.get(pk=a.pk), campaign)
    assert ReasonCode.DUES_UNPAID in verdict.codes and not verdict.eligible
    assert _unpaid(b) == [] and verdict_of(Member.objects.get(pk=b.pk), campaign).eligible


def test_a_late_payment_confirmed_afterwards_restores_eligibility(
    officers: Any, campaign: Any, members: list[Any], member_user: Any
) -> None:
    a = members[0]
    for n in (3, 2, 1):
        _close(months_ago(n))
    assert ReasonCode.DUES_UNPAID in verdict_of(Member.objects.get(pk=a.pk), campaign).codes
    declared = services.payment_declare(actor=member_user, member=a, month=months_ago(2), amount=40_000)
    # Declared is not paid: the cell has not confirmed it yet.
    assert month_key(months_ago(2)) in _unpaid(a)
    services.payment_confirm(actor=officers.cell, payment=declared)
    assert _unpaid(a) == [month_key(months_ago(3)), month_key(months_ago(1))]
    assert verdict_of(Member.objects.get(pk=a.pk), campaign).eligible
    # The change went through the registry's service: the member's history and audit say so.
    history = Member.history.filter(id=a.pk).order_by("-history_date").first()
    assert history is not None and history.history_user_id == officers.cell.pk
    assert AuditEvent.objects.filter(
        action="change", object_type="registry.member", object_id=str(a.pk)
    ).exists()


def test_a_late_payment_recorded_by_the_cell_takes_the_month_out_too(
    officers: Any, members: list[Any], tree: Any
) -> None:
    a = members[0]
    _close(months_ago(1))
    assert _unpaid(a) == [month_key(months_ago(1))]
    services.payments_record(
        actor=officers.cell, cell=tree.cell_a, month=months_ago(1), amounts={a.pk: 50_000}
    )
    assert _unpaid(a) == []


def test_a_good_reason_excuses_the_months(officers: Any, campaign: Any, members: list[Any]) -> None:
    """Charter Art. 8(2): "mà không có lý do chính đáng" — the cell's judgement, on the member record."""
    a = members[0]
    for n in (3, 2, 1):
        _close(months_ago(n))
    registry.member_update(actor=officers.cell, member=Member.objects.get(pk=a.pk),
                           changes={"dues_unpaid_good_reason": True})  # fmt: skip
    assert verdict_of(Member.objects.get(pk=a.pk), campaign).eligible


def test_months_more_than_a_year_back_do_not_count(officers: Any, campaign: Any, members: list[Any]) -> None:
    """ "ba tháng trong năm": a month 12 months back is outside the rolling year of this month and the 11
    before it."""
    a = members[0]
    for n in (12, 2, 1):
        _close(months_ago(n))
    assert len(_unpaid(a)) == 3
    assert verdict_of(Member.objects.get(pk=a.pk), campaign).eligible


def test_closing_is_idempotent_and_records_the_month_once(members: list[Any]) -> None:
    a = members[0]
    first = _close(months_ago(1))
    history = Member.history.filter(id=a.pk).count()
    audits = AuditEvent.objects.filter(object_type="registry.member").count()
    second = _close(months_ago(1))
    assert _unpaid(a) == [month_key(months_ago(1))]
    assert first.succeeded == 3 and second.succeeded == 0  # three members owed; none changed again
    assert Member.history.filter(id=a.pk).count() == history
    assert AuditEvent.objects.filter(object_type="registry.member").count() == audits
    assert MonthClose.objects.filter(month=months_ago(1), path="").count() == 1


def test_a_job_resumes_from_its_last_chunk(members: list[Any]) -> None:
    """Chunks of one member id each: a runner that stopped after the first chunk leaves the others; running
    the job again does them, and the first is not done twice."""
    job = month_close_start(actor=None, month=months_ago(1), enqueue=False, chunk=1)
    assert job.chunk_count >= 3
    from django.db import transaction

    from partycard.core import clock
    from partycard.jobs.kinds import kind_of

    with transaction.atomic():  # what the runner commits for chunk 0, alone
        result = kind_of(job).run_chunk(job, 0)
        JobChunk.objects.create(job=job, index=0, succeeded=result.succeeded, failed=0, done_at=clock.now())
        Job.objects.filter(pk=job.pk).update(
            chunks_done=1, succeeded=result.succeeded, status=Job.Status.RUNNING
        )
    done = job_run(job.pk, take_over=True)
    assert done.status == Job.Status.DONE and done.chunks_done == done.chunk_count
    assert all(_unpaid(m) == [month_key(months_ago(1))] for m in members)


def test_who_owes_the_month(make_member: Any, tree: Any, settings: Any) -> None:
    """Charter Art. 2(4) and Art. 5: official and probationary members owe; a member admitted after the
    month, or no longer a member, does not; one whose activities are suspended does not unless configured."""
    probationary = make_member(full_name="Dự Bị", citizen_id="001080011111", status="probationary",
                               date_official=None, date_admitted=months_ago(6))  # fmt: skip
    newcomer = make_member(full_name="Mới Vào", citizen_id="001080011112", status="probationary",
                           date_official=None, date_admitted=months_ago(0))  # fmt: skip
    suspended = make_member(full_name="Đình Chỉ", citizen_id="001080011113", activities_suspended=True)
    gone = make_member(full_name="Đã Mất", citizen_id="001080011114", status="deceased")
    _close(months_ago(1))
    assert _unpaid(probationary) == [month_key(months_ago(1))]
    assert _unpaid(newcomer) == [] and _unpaid(suspended) == [] and _unpaid(gone) == []
    settings.PARTYCARD = {**settings.PARTYCARD, "DUES_SUSPENDED_OWE": True}
    _close(months_ago(1))
    assert _unpaid(suspended) == [month_key(months_ago(1))]


def test_a_month_not_ended_is_not_closed(members: list[Any]) -> None:
    with pytest.raises(MonthNotEnded):
        month_close_start(actor=None, month=months_ago(0), enqueue=False)


def test_the_command_closes_a_month_and_can_run_again(members: list[Any], tree: Any) -> None:
    out = io.StringIO()
    call_command(
        "dues",
        "close-month",
        "--month",
        month_key(months_ago(1)),
        "--no-progress",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "3 member records changed" in out.getvalue()
    out = io.StringIO()
    call_command("dues", "close-month", "--month", month_key(months_ago(1)), "--no-progress",
                 "--organisation", tree.cell_a.code, stdout=out, stderr=io.StringIO())  # fmt: skip
    assert "0 member records changed" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("dues", "close-month", "--month", month_key(months_ago(0)), stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("dues", "close-month", "--month", "2026-13", stdout=io.StringIO())


def test_an_officer_closes_only_their_subtree(officers: Any, members: list[Any], tree: Any) -> None:
    from partycard.core.scope import OutOfScope

    with pytest.raises(OutOfScope):
        month_close_start(actor=officers.hue_cell, month=months_ago(1), root=tree.cell_a, enqueue=False)
    job = job_run(month_close_start(actor=officers.cell, month=months_ago(1), enqueue=False).pk)
    assert job.succeeded == 2  # cell_a's two members; cell_b's member untouched
    assert _unpaid(members[2]) == []


def test_only_the_cells_keeping_dues_here_when_so_configured(
    officers: Any, members: list[Any], tree: Any, settings: Any
) -> None:
    """``DUES_CLOSE_ONLY_KEEPING_CELLS``: cell_a recorded a payment for the month, cell_b none: only cell_a's
    unpaid member is put in arrears; cell_b's member is left alone until cell_b keeps its dues here."""
    a, b, c = members
    settings.PARTYCARD = {**settings.PARTYCARD, "DUES_CLOSE_ONLY_KEEPING_CELLS": True}
    services.payments_record(actor=officers.cell, cell=tree.cell_a, month=months_ago(1), amounts={a.pk: 1000})
    _close(months_ago(1))
    assert (_unpaid(a), _unpaid(b), _unpaid(c)) == ([], [month_key(months_ago(1))], [])


def test_by_default_a_cell_that_keeps_no_dues_here_is_left_alone(
    officers: Any, members: list[Any], tree: Any, settings: Any
) -> None:
    """No record in partycard is not proof of no payment: unless configured otherwise, closing a month
    puts no member of a cell that recorded nothing in arrears."""
    a, b, c = members
    settings.PARTYCARD = {k: v for k, v in settings.PARTYCARD.items() if k != "DUES_CLOSE_ONLY_KEEPING_CELLS"}
    services.payments_record(actor=officers.cell, cell=tree.cell_a, month=months_ago(1), amounts={a.pk: 1000})
    _close(months_ago(1))
    assert (_unpaid(a), _unpaid(b), _unpaid(c)) == ([], [month_key(months_ago(1))], [])
