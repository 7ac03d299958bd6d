"""Routes of meetings and check-in (issue 16); the same scope rules as the pages.

A meeting outside the actor's subtree is the 404 of a missing one; a role that may not change meetings
anywhere gets a 403. ``POST /meetings/{id}/checkins`` takes what the secretary's phone checked in offline:
each check-in is verified again by the server (``meetings/checkin.py``) and answered ``new``, ``duplicate``
or ``refused`` with reasons, so syncing twice records nothing twice. The check-in page calls it (and the
roster) with the secretary's session, CSRF-checked; other clients with a bearer token.
``GET /me/meetings``: a member's cell's meetings and their own attendance (the member's session).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Schema, Status
from ninja.security import SessionAuth

from partycard.accounts.roles import Action
from partycard.accounts.two_factor import needs_two_factor
from partycard.api.auth import MemberSessionAuth, TokenAuth
from partycard.api.errors import ApiProblem
from partycard.api.models import ApiToken
from partycard.api.schemas.exchange import MAX_ID
from partycard.api.schemas.meetings import (
    AttendanceIn,
    AttendanceOut,
    CheckinResultOut,
    CheckinsIn,
    ExcuseIn,
    MeetingIn,
    MeetingOut,
    MyMeetingOut,
    RosterOut,
    StatsOut,
)
from partycard.api.schemas.problems import problems
from partycard.api.schemas.registry import Day
from partycard.core import clock
from partycard.core.errors import ErrorCode
from partycard.core.scope import get_scoped_or_404
from partycard.meetings import selectors, services
from partycard.meetings.models import Meeting
from partycard.meetings.selectors import AttendanceStats
from partycard.registry.models import Member, Organisation

__all__ = ["OfficerSessionAuth", "router"]


class OfficerSessionAuth(SessionAuth):
    """The check-in page on the secretary's phone: an officer's session that passed its second factor
    (the two-factor middleware leaves /api/ to the API's own authentication), CSRF-checked on writes."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated or not user.is_active or getattr(user, "role", None) == "member":
            return None
        if needs_two_factor(user) and not user.is_verified():  # type: ignore[attr-defined]
            return None
        return user


router = Router(tags=["meetings"])
_BOTH = [TokenAuth(), OfficerSessionAuth()]


def _actor(request: HttpRequest) -> Any:
    auth = request.auth  # type: ignore[attr-defined]
    return auth.user if isinstance(auth, ApiToken) else auth


def _require(actor: Any, action: Action) -> None:
    if not Organisation.objects.scoped(actor, action).exists():
        raise ApiProblem(403, "Your role may not do this.", code=ErrorCode.FORBIDDEN)


def _out(meeting: Meeting, attended: int | None = None) -> dict[str, Any]:
    """A meeting as the API shows it; ``attended`` counted unless given (or annotated by the list)."""
    if attended is None:
        attended = getattr(meeting, "present", None)
    if attended is None:
        attended = meeting.attendances.count()
    return {
        "id": meeting.pk, "cell": meeting.cell.code, "cell_name": meeting.cell.name, "kind": meeting.kind,
        "title": meeting.title, "starts_at": meeting.starts_at, "place": meeting.place,
        "state": meeting.state, "roster_size": meeting.roster_size, "attended": attended,
        "opened_at": meeting.opened_at, "closed_at": meeting.closed_at,
    }  # fmt: skip


class ListQuery(Schema):
    organisation: str | None = None


@router.get(
    "/meetings",
    response={200: list[MeetingOut], **problems(404, 422)},
    operation_id="meeting_list",
    summary="The newest meetings of your subtree (or of one organisation in it)",
    auth=_BOTH,
)
def meeting_list(request: HttpRequest, query: Query[ListQuery]) -> Any:
    actor = _actor(request)
    path = ""
    if query.organisation:
        path = get_scoped_or_404(
            Organisation, actor, Action.VIEW_MEETING, code=query.organisation.strip().upper()
        ).path
    return [_out(m) for m in selectors.meeting_list(actor, path=path)]


@router.post(
    "/meetings",
    response={201: MeetingOut, **problems(400, 403, 404, 422)},
    operation_id="meeting_open",
    summary="Open a meeting of a cell",
    auth=_BOTH,
)
def meeting_open(request: HttpRequest, body: MeetingIn) -> Any:
    actor = _actor(request)
    _require(actor, Action.CHANGE_MEETING)
    cell = Organisation.objects.filter(code=body.cell.strip().upper()).first()
    if cell is None:
        raise Http404
    meeting = services.meeting_open(
        actor=actor, cell=cell, kind=body.kind, title=body.title, starts_at=body.starts_at, place=body.place
    )
    return Status(201, _out(meeting, 0))


# The fixed path /meetings/stats comes before /meetings/{id}.
class StatsQuery(Schema):
    organisation: str | None = None
    start: Day | None = None
    end: Day | None = None


def _row(stats: AttendanceStats) -> dict[str, Any]:
    return {
        "code": stats.code, "name": stats.name, "meetings_held": stats.meetings_held,
        "expected": stats.expected, "attended": stats.attended, "excused": stats.excused,
        "absent": stats.absent, "rate": stats.rate,
    }  # fmt: skip


@router.get(
    "/meetings/stats",
    response={200: StatsOut, **problems(403, 404, 422)},
    operation_id="meeting_stats",
    summary="Attendance over a period: in your subtree (or one organisation in it) and by child",
    auth=_BOTH,
)
def meeting_stats(request: HttpRequest, query: Query[StatsQuery]) -> Any:
    actor = _actor(request)
    _require(actor, Action.VIEW_MEETING)
    root = selectors.stats_root(actor, code=query.organisation)
    end = query.end or clock.today()
    start = query.start or selectors.year_before(end)
    if start > end:
        raise ApiProblem(422, "The period starts after it ends.", code=ErrorCode.INVALID)
    report = selectors.attendance_stats(actor, root=root, start=start, end=end, members=False)
    return {
        "start": start,
        "end": end,
        "total": _row(report.total),
        "children": [_row(c) for c in report.children],
    }


@router.get(
    "/meetings/{cell_meeting_id}",
    response={200: MeetingOut, **problems(404, 422)},
    operation_id="meeting_get",
    summary="One meeting",
    auth=_BOTH,
)
def meeting_get(request: HttpRequest, cell_meeting_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return _out(selectors.meeting_get(_actor(request), cell_meeting_id))


@router.post(
    "/meetings/{cell_meeting_id}/close",
    response={200: MeetingOut, **problems(403, 404, 409, 422)},
    operation_id="meeting_close",
    summary="Close a meeting (a phone may still sync what it scanned before)",
    auth=_BOTH,
)
def meeting_close(request: HttpRequest, cell_meeting_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    actor = _actor(request)
    meeting = selectors.meeting_get(actor, cell_meeting_id, action=Action.CHANGE_MEETING)
    return _out(services.meeting_close(actor=actor, meeting=meeting))


@router.get(
    "/meetings/{cell_meeting_id}/roster",
    response={200: RosterOut, **problems(404, 422)},
    operation_id="meeting_roster",
    summary="What the secretary's phone downloads to check members in offline: the cell's members and cards",
    auth=_BOTH,
)
def meeting_roster(request: HttpRequest, cell_meeting_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    actor = _actor(request)
    meeting = selectors.meeting_get(actor, cell_meeting_id, action=Action.CHANGE_MEETING)
    members = [
        {"member_id": e.member_id, "full_name": e.full_name, "card_numbers": list(e.card_numbers)}
        for e in selectors.meeting_roster(actor, meeting)
    ]
    return {"meeting": _out(meeting), "members": members}


@router.get(
    "/meetings/{cell_meeting_id}/attendances",
    response={200: list[AttendanceOut], **problems(404, 422)},
    operation_id="meeting_attendances",
    summary="Who checked in, and how",
    auth=_BOTH,
)
def meeting_attendances(request: HttpRequest, cell_meeting_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    actor = _actor(request)
    meeting = selectors.meeting_get(actor, cell_meeting_id)
    return [
        {
            "id": a.pk,
            "member_id": a.member_id,
            "full_name": a.member.full_name,
            "method": a.method,
            "checked_at": a.checked_at,
            "device": a.device,
        }
        for a in selectors.meeting_attendances(actor, meeting)
    ]


def _member(actor: Any, member_id: int) -> Member:
    return get_scoped_or_404(Member, actor, Action.CHANGE_MEETING, pk=member_id)


@router.post(
    "/meetings/{cell_meeting_id}/attendances",
    response={200: AttendanceOut, 201: AttendanceOut, **problems(400, 403, 404, 409, 422)},
    operation_id="meeting_attendance_record",
    summary="Record a member present by the secretary's hand (201; 200 if already present)",
    auth=_BOTH,
)
def meeting_attendance_record(
    request: HttpRequest, body: AttendanceIn, cell_meeting_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    actor = _actor(request)
    meeting = selectors.meeting_get(actor, cell_meeting_id, action=Action.CHANGE_MEETING)
    member = _member(actor, body.member_id)
    attendance, created = services.attendance_record(
        actor=actor, meeting=meeting, member=member, method=body.method
    )
    out = {
        "id": attendance.pk, "member_id": member.pk, "full_name": member.full_name,
        "method": attendance.method, "checked_at": attendance.checked_at, "device": attendance.device,
    }  # fmt: skip
    return Status(201 if created else 200, out)


@router.post(
    "/meetings/{cell_meeting_id}/excuses",
    response={200: None, **problems(400, 403, 404, 422)},
    operation_id="meeting_excuse",
    summary="Excuse a member's absence, with the reason (a good reason: Charter Art. 8(2))",
    auth=_BOTH,
)
def meeting_excuse(
    request: HttpRequest, body: ExcuseIn, cell_meeting_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    actor = _actor(request)
    meeting = selectors.meeting_get(actor, cell_meeting_id, action=Action.CHANGE_MEETING)
    services.excuse_record(
        actor=actor, meeting=meeting, member=_member(actor, body.member_id), reason=body.reason
    )
    return Status(200, None)


def _result(r: services.SyncResult) -> dict[str, Any]:
    return {
        "client_uuid": r.client_uuid,
        "result": r.result,
        "member_id": r.member_id,
        "attendance_id": r.attendance_id,
        "reasons": [{"code": x.code, "message": x.message} for x in r.reasons],
    }


@router.post(
    "/meetings/{cell_meeting_id}/checkins",
    response={200: list[CheckinResultOut], **problems(403, 404, 409, 422)},
    operation_id="meeting_checkins_sync",
    summary="Sync the check-ins a phone scanned (offline): each re-verified; new, duplicate or refused",
    auth=_BOTH,
)
def meeting_checkins_sync(
    request: HttpRequest, body: CheckinsIn, cell_meeting_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    actor = _actor(request)
    meeting = selectors.meeting_get(actor, cell_meeting_id, action=Action.CHANGE_MEETING)
    items = [
        services.CheckinIn(client_uuid=c.client_uuid, qr=c.qr, scanned_at=c.scanned_at, member_id=c.member_id)
        for c in body.checkins
    ]
    results = services.checkins_sync(actor=actor, meeting=meeting, items=items, device=body.device)
    return [_result(r) for r in results]


@router.get(
    "/me/meetings",
    response={200: list[MyMeetingOut], **problems()},
    operation_id="me_meetings",
    summary="The member's cell's meetings and their own attendance at each",
    auth=MemberSessionAuth(),
)
def me_meetings(request: HttpRequest) -> Any:
    return [_mine(m) for m in selectors.member_meetings(request.auth)]  # type: ignore[attr-defined]


def _mine(m: selectors.MemberAttendance) -> dict[str, Any]:
    meeting, attendance = m.meeting, m.attendance
    return {
        "id": meeting.pk,
        "kind": meeting.kind,
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "place": meeting.place,
        "state": meeting.state,
        "attended": attendance is not None,
        "checked_at": attendance.checked_at if attendance else None,
        "method": attendance.method if attendance else None,
        "excused": m.excuse is not None,
    }
