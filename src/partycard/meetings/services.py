"""Writes of meetings: open and close a cell's meeting, record a member present (by e-card, chip card or the
secretary's hand), take in what the secretary's phone checked in offline, excuse an absence, and close a
month for the Charter's rule on skipped activities.

Every write is keyword-only, takes ``actor``, checks the scope of the meeting **and** of the cell and member
it names (``core.scope.scope_require``: another province's is the same 404 as a missing one), calls
``full_clean()`` and records its audit row in the same transaction. ``actor=None`` is the system (the
command line, a job), acting on the whole tree.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record, diff, snapshot
from partycard.cards.lifecycle import CardKind
from partycard.cards.models import Card
from partycard.core import clock
from partycard.core.scope import scope_require
from partycard.core.signing import trust_material
from partycard.credentials.publishing import status_list_lookup
from partycard.meetings.checkin import Refusal, refusal, scan_time_refusal
from partycard.meetings.choices import CheckinMethod, MeetingKind, MeetingState
from partycard.meetings.errors import MeetingClosed, MonthNotOver, NotACell, NotInTheCell
from partycard.meetings.models import Attendance, Excuse, Meeting, MonthClose
from partycard.ops.metrics import verdict_count
from partycard.registry.choices import ACTIVE_STATUSES, MEMBER_HOLDING_LEVELS
from partycard.registry.models import Member, Organisation
from partycard.registry.services import member_update
from partycard.verify.qr import QrVerifier
from partycard.verify.verdict import Verdict

__all__ = [
    "CheckinIn",
    "SyncResult",
    "attendance_record",
    "card_member",
    "checkins_sync",
    "excuse_record",
    "meeting_close",
    "meeting_open",
    "month_bounds",
    "month_close",
]

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _who(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _roster_size(cell: Organisation) -> int:
    return Member.objects.filter(organisation=cell, status__in=ACTIVE_STATUSES).count()


def meeting_open(
    *,
    actor: Any,
    cell: Organisation,
    kind: str = MeetingKind.REGULAR,
    title: str,
    starts_at: dt.datetime,
    place: str = "",
    at: dt.datetime | None = None,
) -> Meeting:
    """Open a meeting of ``cell`` (its secretary, or a committee officer over it).

    Raises:
        OutOfScope: the cell is outside the actor's scope, or the actor may not change meetings.
        NotACell: ``cell`` holds no members (a committee does not hold cell meetings).
        ValidationError: the title is empty, or the kind unknown.
    """
    scope_require(actor, Action.CHANGE_MEETING, cell, field="cell")
    if cell.level not in MEMBER_HOLDING_LEVELS:
        raise NotACell()
    at = at or clock.now()
    with transaction.atomic():
        meeting = Meeting(
            cell=cell, path=cell.path, kind=kind, title=title.strip(), starts_at=starts_at,
            place=place.strip(), roster_size=_roster_size(cell), opened_by=_who(actor), opened_at=at,
        )  # fmt: skip
        meeting.full_clean()
        meeting.save()
        audit_record(actor=actor, action="meeting.open", obj=meeting, changes=diff({}, snapshot(meeting)))
    return meeting


def _locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def meeting_close(*, actor: Any, meeting: Meeting, at: dt.datetime | None = None) -> Meeting:
    """Close ``meeting``: no live check-in after this; a phone may still sync what it scanned before.

    Raises:
        OutOfScope: the meeting is outside the actor's scope.
        MeetingClosed: it is closed already.
    """
    scope_require(actor, Action.CHANGE_MEETING, meeting)
    with transaction.atomic():
        meeting = _locked(meeting)
        if meeting.state == MeetingState.CLOSED:
            raise MeetingClosed()
        before = snapshot(meeting)
        meeting.state = MeetingState.CLOSED
        meeting.closed_by, meeting.closed_at = _who(actor), at or clock.now()
        meeting.roster_size = _roster_size(meeting.cell)  # who was expected, as the meeting ends
        meeting.full_clean()
        meeting.save()
        audit_record(
            actor=actor, action="meeting.close", obj=meeting, changes=diff(before, snapshot(meeting))
        )
    return meeting


def _member_of_cell(meeting: Meeting, member: Member) -> None:
    if member.organisation_id != meeting.cell_id or member.status not in ACTIVE_STATUSES:
        raise NotInTheCell()


def _create(
    *, actor: Any, meeting: Meeting, member: Member, method: str, checked_at: dt.datetime, device: str,
    client_uuid: uuid.UUID, qr: str, at: dt.datetime,
) -> tuple[Attendance, bool]:  # fmt: skip
    """The attendance, created unless one exists for the identifier or for (meeting, member)."""
    found = Attendance.objects.filter(client_uuid=client_uuid).first()
    if found is None:
        found = Attendance.objects.filter(meeting=meeting, member=member).first()
    if found is not None:
        return found, False
    attendance = Attendance(
        meeting=meeting, member=member, path=meeting.path, method=method, checked_at=checked_at,
        device=device[:120], client_uuid=client_uuid, qr=qr, recorded_by=_who(actor), recorded_at=at,
    )  # fmt: skip
    attendance.full_clean(validate_unique=False, validate_constraints=False)  # the database says "once"
    try:
        with transaction.atomic():  # a savepoint: a concurrent sync of the same check-in loses the race
            attendance.save()
    except IntegrityError:
        again = Attendance.objects.filter(client_uuid=client_uuid).first()
        return again or Attendance.objects.get(meeting=meeting, member=member), False
    changes = {"meeting": meeting.pk, "member": member.pk, "method": method, "at": checked_at.isoformat()}
    audit_record(actor=actor, action="meeting.checkin", obj=attendance, changes=changes)
    return attendance, True


def attendance_record(
    *,
    actor: Any,
    meeting: Meeting,
    member: Member,
    method: str,
    checked_at: dt.datetime | None = None,
    device: str = "",
    client_uuid: uuid.UUID | None = None,
    at: dt.datetime | None = None,
) -> tuple[Attendance, bool]:
    """Record ``member`` present at the open ``meeting`` (the chip card read on the secretary's reader, or
    the secretary's own word). Idempotent: a member is present once; returns (attendance, created).

    Raises:
        OutOfScope: the meeting or the member is outside the actor's scope.
        MeetingClosed: the meeting is closed.
        NotInTheCell: the member is not a member of the meeting's cell in good standing.
    """
    scope_require(actor, Action.CHANGE_MEETING, meeting)
    scope_require(actor, Action.CHANGE_MEETING, member, field="member")
    at = at or clock.now()
    with transaction.atomic():
        meeting = _locked(meeting)
        if meeting.state == MeetingState.CLOSED:
            raise MeetingClosed()
        _member_of_cell(meeting, member)
        return _create(
            actor=actor, meeting=meeting, member=member, method=method, checked_at=checked_at or at,
            device=device, client_uuid=client_uuid or uuid.uuid4(), qr="", at=at,
        )  # fmt: skip


def _normal(number: str) -> str:
    return "".join(ch for ch in number if ch.isalnum()).upper()


def card_member(card_number: str) -> Member | None:
    """The member whose new card has ``card_number`` (as the chip or the e-card states it), or None."""
    wanted = _normal(card_number)
    for card in Card.objects.filter(kind=CardKind.NEW, member__isnull=False).filter(
        number__in={card_number, wanted}
    ):
        return Member.objects.get(pk=card.member_id)
    return None


@dataclass(frozen=True)
class CheckinIn:
    """One check-in as the phone kept it: its identifier, the QR text as scanned and the scan time."""

    client_uuid: uuid.UUID
    qr: str
    scanned_at: dt.datetime
    member_id: int | None = None  # what the phone matched; the server finds the member itself


@dataclass
class SyncResult:
    client_uuid: uuid.UUID
    result: str  # "new", "duplicate" or "refused"
    member_id: int | None = None
    attendance_id: int | None = None
    reasons: list[Refusal] = field(default_factory=list)


def _verdict_refusals(verdict: Verdict) -> list[Refusal]:
    vietnamese = (translation.get_language() or "vi").startswith("vi")
    return [refusal(r.code, r.message_vi if vietnamese else r.message_en) for r in verdict.reasons]


def _sync_one(
    *, actor: Any, meeting: Meeting, item: CheckinIn, device: str, at: dt.datetime, verifier: QrVerifier
) -> SyncResult:
    found = Attendance.objects.filter(client_uuid=item.client_uuid).first()
    if found is not None:
        if found.meeting_id != meeting.pk:
            return SyncResult(item.client_uuid, "refused", reasons=[refusal("uuid_reused", _(
                "This check-in identifier belongs to another meeting."))])  # fmt: skip
        return SyncResult(item.client_uuid, "duplicate", found.member_id, found.pk)
    scanned_at = item.scanned_at
    problem = scan_time_refusal(
        scanned_at, opened_at=meeting.opened_at, closed_at=meeting.closed_at, received_at=at
    )
    if problem is not None:
        return SyncResult(item.client_uuid, "refused", item.member_id, reasons=[problem])
    # Re-verified as of the scan: the rotating QR's window is judged against the moment it was shown.
    verdict = verifier.verdict(item.qr, now=scanned_at)
    verdict_count(verdict, channel="qr")
    if not verdict.ok:
        return SyncResult(item.client_uuid, "refused", item.member_id, reasons=_verdict_refusals(verdict))
    member = card_member(verdict.holder.get("card_number", ""))
    if member is None or member.organisation_id != meeting.cell_id or member.status not in ACTIVE_STATUSES:
        return SyncResult(item.client_uuid, "refused", item.member_id, reasons=[refusal("not_in_cell", _(
            "The card's holder is not a member of this cell."))])  # fmt: skip
    attendance, created = _create(
        actor=actor, meeting=meeting, member=member, method=CheckinMethod.QR, checked_at=scanned_at,
        device=device, client_uuid=item.client_uuid, qr=item.qr, at=at,
    )  # fmt: skip
    return SyncResult(item.client_uuid, "new" if created else "duplicate", member.pk, attendance.pk)


def checkins_sync(
    *,
    actor: Any,
    meeting: Meeting,
    items: Sequence[CheckinIn],
    device: str = "",
    at: dt.datetime | None = None,
) -> list[SyncResult]:
    """Take in the check-ins the secretary's phone scanned (offline, perhaps), each re-verified by the
    server (``meetings/checkin.py``): ``new``, ``duplicate`` (the same identifier, or the member already
    present) or ``refused`` with the reasons. Syncing the same check-ins again changes nothing.

    Raises:
        OutOfScope: the meeting is outside the actor's scope.
        SigningUnavailable: the server holds no trust material to verify with.
    """
    scope_require(actor, Action.CHANGE_MEETING, meeting)
    at = at or clock.now()
    # The trust list as the server holds it now (a list re-issued since the scan still lists the signer);
    # the server's own status lists, current; each QR judged at its scan time.
    material = trust_material(at=at)
    verifier = QrVerifier(
        trust=material.trust, root=material.root, status=lambda uri: status_list_lookup(uri, at=at)
    )
    results = []
    for item in items:
        with transaction.atomic():
            locked = _locked(meeting)
            results.append(
                _sync_one(actor=actor, meeting=locked, item=item, device=device, at=at, verifier=verifier)
            )
    return results


def excuse_record(
    *, actor: Any, meeting: Meeting, member: Member, reason: str, at: dt.datetime | None = None
) -> Excuse:
    """Record that ``member`` is absent from ``meeting`` with a good reason (Charter Art. 8(2)): the month
    of that meeting then does not count as skipped. Recorded once; a second call changes the reason.

    Raises:
        OutOfScope: the meeting or the member is outside the actor's scope.
        NotInTheCell: the member is not a member of the meeting's cell.
        ValidationError: the reason is empty.
    """
    scope_require(actor, Action.CHANGE_MEETING, meeting)
    scope_require(actor, Action.CHANGE_MEETING, member, field="member")
    with transaction.atomic():
        meeting = _locked(meeting)
        _member_of_cell(meeting, member)
        excuse = Excuse.objects.filter(meeting=meeting, member=member).first() or Excuse(
            meeting=meeting, member=member, path=meeting.path
        )
        before = snapshot(excuse) if excuse.pk else {}
        excuse.reason = reason.strip()
        excuse.recorded_by, excuse.recorded_at = _who(actor), at or clock.now()
        excuse.full_clean()
        excuse.save()
        audit_record(actor=actor, action="meeting.excuse", obj=excuse, changes=diff(before, snapshot(excuse)))
    return excuse


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The start of ``month`` ("YYYY-MM") and of the next, in the project's time zone.

    Raises:
        ValueError: not a month.
    """
    match = MONTH_RE.fullmatch(month)
    if not match:
        raise ValueError(month)
    year, number = int(match.group(1)), int(match.group(2))
    following = (year + number // 12, number % 12 + 1)
    tz = timezone.get_default_timezone()
    return (
        dt.datetime(year, number, 1, tzinfo=tz),
        dt.datetime(following[0], following[1], 1, tzinfo=tz),
    )


def _close_cell(*, cell_id: int, month: str, start: dt.datetime, end: dt.datetime) -> int:
    """Record ``month`` as skipped for the cell's members who attended none of its meetings of the month
    and had no absence excused; returns how many members it was recorded for now."""
    meetings = Meeting.objects.filter(cell_id=cell_id, starts_at__gte=start, starts_at__lt=end)
    present = set(Attendance.objects.filter(meeting__in=meetings).values_list("member_id", flat=True))
    excused = set(Excuse.objects.filter(meeting__in=meetings).values_list("member_id", flat=True))
    recorded = 0
    # DOMAIN.md: a member whose activities are suspended waits: their absence is not a skipped month.
    for member in Member.objects.filter(
        organisation_id=cell_id, status__in=ACTIVE_STATUSES, activities_suspended=False
    ).exclude(pk__in=present | excused):
        months = list(member.activities_skipped_months or [])
        if month in months:
            continue  # already recorded (by a run that stopped after it, or by hand): idempotent
        member_update(
            actor=None, member=member, changes={"activities_skipped_months": sorted({*months, month})},
            reason=_("Attended none of the cell's meetings of %(month)s, without an excused absence")
            % {"month": f"{month[5:]}/{month[:4]}"},
        )  # fmt: skip
        recorded += 1
    return recorded


def month_close(*, month: str, at: dt.datetime | None = None) -> MonthClose:
    """Close ``month`` ("YYYY-MM") for Party Charter Art. 8(2): in every cell that held a meeting that
    month, a member (official or probationary, activities not suspended) who attended none of them and
    had no absence excused gets the month in ``Member.activities_skipped_months``, through
    ``registry.services.member_update`` (history, audit, and the hooks that re-evaluate eligibility).

    A cell that held no meeting records nothing: the members cannot have skipped what was not held.
    Resumable and idempotent: the cells are taken in order of id, each in its own transaction, and the
    record says where it stopped; a finished month is not run again. The system acts (``actor=None``).

    Raises:
        ValueError: ``month`` is not "YYYY-MM".
        MonthNotOver: the month has not ended yet.
    """
    at = at or clock.now()
    start, end = month_bounds(month)
    if at < end:
        raise MonthNotOver()
    record, _created = MonthClose.objects.get_or_create(month=month, defaults={"started_at": at})
    if record.finished_at is not None:
        return record
    cell_ids = (
        Meeting.objects.filter(starts_at__gte=start, starts_at__lt=end, cell_id__gt=record.last_cell_id)
        .order_by("cell_id")
        .values_list("cell_id", flat=True)
        .distinct()
    )
    for cell_id in list(cell_ids):
        with transaction.atomic():
            recorded = _close_cell(cell_id=cell_id, month=month, start=start, end=end)
            record.last_cell_id = cell_id
            record.cells_done += 1
            record.months_recorded += recorded
            record.save(update_fields=["last_cell_id", "cells_done", "months_recorded"])
    with transaction.atomic():
        record.finished_at = clock.now()
        record.save(update_fields=["finished_at"])
        audit_record(
            actor=None, action="meeting.month_close", obj=record,
            changes={"month": month, "cells": record.cells_done, "recorded": record.months_recorded},
        )  # fmt: skip
    return record
