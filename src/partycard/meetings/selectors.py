"""Reads of meetings: the meetings an actor may see, one meeting with its attendance, the roster a
secretary's phone downloads for checking in offline, a member's own meetings, and the attendance
statistics of a subtree, by organisation path prefix (a cell, or any committee over cells)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from partycard.accounts.roles import Action
from partycard.cards.lifecycle import ACTIVE_LIKE, CardKind
from partycard.cards.models import Card
from partycard.core.scope import get_scoped_or_404, role_of
from partycard.meetings.models import Attendance, Excuse, Meeting
from partycard.registry.choices import ACTIVE_STATUSES
from partycard.registry.models import Member, Organisation
from partycard.registry.selectors import scope_root

__all__ = [
    "AttendanceStats",
    "MemberAttendance",
    "RosterEntry",
    "StatsReport",
    "attendance_stats",
    "attendance_summary",
    "meeting_attendances",
    "meeting_excuses",
    "meeting_get",
    "meeting_list",
    "meeting_roster",
    "member_attendance",
    "member_meetings",
    "stats_root",
    "year_before",
]


def meeting_list(actor: Any, *, path: str = "", limit: int = 100) -> list[Meeting]:
    """The newest meetings under ``path`` the actor may see."""
    return list(
        Meeting.objects.scoped(actor, Action.VIEW_MEETING)
        .filter(path__startswith=path)
        .select_related("cell")
        .annotate(present=Count("attendances"))[:limit]
    )


def meeting_get(actor: Any, pk: int, *, action: str = Action.VIEW_MEETING) -> Meeting:
    """One meeting in the actor's scope for ``action``; else the 404 of a missing one."""
    return get_scoped_or_404(Meeting, actor, action, pk=pk)


def meeting_attendances(actor: Any, meeting: Meeting) -> QuerySet[Attendance]:
    return (
        Attendance.objects.scoped(actor, Action.VIEW_MEETING).filter(meeting=meeting).select_related("member")
    )


def meeting_excuses(actor: Any, meeting: Meeting) -> QuerySet[Excuse]:
    return Excuse.objects.scoped(actor, Action.VIEW_MEETING).filter(meeting=meeting).select_related("member")


@dataclass(frozen=True)
class RosterEntry:
    """What the secretary's phone needs of one member to check them in offline."""

    member_id: int
    full_name: str
    card_numbers: tuple[str, ...]


def meeting_roster(actor: Any, meeting: Meeting) -> list[RosterEntry]:
    """The meeting's cell's members in good standing with their cards in use (the numbers their e-card and
    chip state), as far as the actor may see them."""
    members = list(
        Member.objects.scoped(actor, Action.VIEW_MEETING)
        .filter(organisation_id=meeting.cell_id, status__in=ACTIVE_STATUSES)
        .order_by("name_search", "pk")
        .values_list("pk", "full_name")
    )
    numbers: dict[int, list[str]] = defaultdict(list)
    for member_id, number in Card.objects.filter(
        member_id__in=[pk for pk, _ in members],
        kind=CardKind.NEW,
        state__in=[s.value for s in ACTIVE_LIKE],
    ).values_list("member_id", "number"):
        numbers[member_id].append(number)
    return [RosterEntry(pk, name, tuple(numbers.get(pk, ()))) for pk, name in members]


@dataclass(frozen=True)
class MemberAttendance:
    """A meeting of the member's cell and the member's own part in it."""

    meeting: Meeting
    attendance: Attendance | None
    excuse: Excuse | None


def member_meetings(actor: Any, *, limit: int = 50) -> list[MemberAttendance]:
    """A member's own view: their cell's meetings (newest first) and their own attendance at each."""
    meetings = list(Meeting.objects.scoped(actor, Action.VIEW_MEETING).select_related("cell")[:limit])
    mine = {
        a.meeting_id: a
        for a in Attendance.objects.scoped(actor, Action.VIEW_MEETING).filter(meeting__in=meetings)
    }
    excused = {
        e.meeting_id: e
        for e in Excuse.objects.scoped(actor, Action.VIEW_MEETING).filter(meeting__in=meetings)
    }
    return [MemberAttendance(m, mine.get(m.pk), excused.get(m.pk)) for m in meetings]


@dataclass
class AttendanceStats:
    """Meetings held in a subtree over a period and how many of the expected members came."""

    code: str
    name: str
    meetings_held: int = 0
    expected: int = 0  # the sum over the meetings of the members the cell had
    attended: int = 0
    excused: int = 0

    @property
    def absent(self) -> int:
        """Absences without an excuse."""
        return max(0, self.expected - self.attended - self.excused)

    @property
    def rate(self) -> float | None:
        """Attended / expected (None when nothing was expected)."""
        return self.attended / self.expected if self.expected else None

    @property
    def percent(self) -> str:
        return "" if self.rate is None else f"{100 * self.rate:.1f}".replace(".", ",")

    def add(self, other: AttendanceStats) -> None:
        self.meetings_held += other.meetings_held
        self.expected += other.expected
        self.attended += other.attended
        self.excused += other.excused


@dataclass
class StatsReport:
    total: AttendanceStats
    children: list[AttendanceStats] = field(default_factory=list)
    members: list[tuple[str, int, int, int]] = field(default_factory=list)  # name, attended, excused, absent


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_default_timezone()
    return (
        dt.datetime(start.year, start.month, start.day, tzinfo=tz),
        dt.datetime(end.year, end.month, end.day, tzinfo=tz) + dt.timedelta(days=1),
    )


def _child_prefix(root_path: str, path: str) -> str:
    rest = path[len(root_path) :]
    return root_path + rest.split(".", 1)[0] + "." if rest else root_path


def attendance_stats(
    actor: Any, *, root: Organisation, start: dt.date, end: dt.date, members: bool = True
) -> StatsReport:
    """The attendance of the meetings held under ``root`` from ``start`` to ``end`` (days, inclusive),
    in total and by each child organisation (meetings grouped by the path prefix of each child); for a
    cell, by member. Only what the actor may see (``VIEW_MEETING``) counts. Three grouped queries.
    """
    total = AttendanceStats(root.code, root.name)
    report = StatsReport(total)
    if role_of(actor) is None:
        return report
    since, until = _bounds(start, end)
    meetings = Meeting.objects.scoped(actor, Action.VIEW_MEETING).filter(
        path__startswith=root.path, starts_at__gte=since, starts_at__lt=until
    )
    by_path: dict[str, AttendanceStats] = defaultdict(lambda: AttendanceStats("", ""))
    for row in meetings.values("path").annotate(n=Count("pk"), expected=Sum("roster_size")):
        by_path[row["path"]].meetings_held += row["n"]
        by_path[row["path"]].expected += row["expected"] or 0
    for row in (
        Attendance.objects.scoped(actor, Action.VIEW_MEETING)
        .filter(meeting__in=meetings)
        .values("path")
        .annotate(n=Count("pk"))
    ):
        by_path[row["path"]].attended += row["n"]
    for row in (
        Excuse.objects.scoped(actor, Action.VIEW_MEETING)
        .filter(meeting__in=meetings)
        .values("path")
        .annotate(n=Count("pk"))
    ):
        by_path[row["path"]].excused += row["n"]
    children = {
        c.path: AttendanceStats(c.code, c.name)
        for c in Organisation.objects.scoped(actor, Action.VIEW_MEETING).filter(parent=root).order_by("code")
    }
    for path, stats in by_path.items():
        total.add(stats)
        child = children.get(_child_prefix(root.path, path))
        if child is not None:
            child.add(stats)
    report.children = [c for c in children.values() if c.meetings_held]
    if members and not children:
        report.members = _member_rows(actor, meetings)
    return report


def _member_rows(actor: Any, meetings: QuerySet[Meeting]) -> list[tuple[str, int, int, int]]:
    """Per member of the cell: meetings attended, excused, and missed without an excuse."""
    held = meetings.count()
    if not held:
        return []
    cell_ids = set(meetings.values_list("cell_id", flat=True))
    attended = dict(
        Attendance.objects.scoped(actor, Action.VIEW_MEETING)
        .filter(meeting__in=meetings)
        .values_list("member_id")
        .annotate(n=Count("pk"))
    )
    excused = dict(
        Excuse.objects.scoped(actor, Action.VIEW_MEETING)
        .filter(meeting__in=meetings)
        .values_list("member_id")
        .annotate(n=Count("pk"))
    )
    rows = []
    for pk, name in (
        Member.objects.scoped(actor, Action.VIEW_MEETING)
        .filter(organisation_id__in=cell_ids, status__in=ACTIVE_STATUSES)
        .order_by("name_search", "pk")
        .values_list("pk", "full_name")
    ):
        came, excuse = attended.get(pk, 0), excused.get(pk, 0)
        rows.append((name, came, excuse, max(0, held - came - excuse)))
    return rows


def member_attendance(actor: Any, member: Member) -> QuerySet[Attendance]:
    return Attendance.objects.scoped(actor, Action.VIEW_MEETING).filter(member=member)


def stats_root(actor: Any, *, code: str | None) -> Organisation:
    """The organisation whose attendance is asked for: ``code`` in the actor's scope, or by default the top
    of their scope; else the 404 of a missing one."""
    if code:
        return get_scoped_or_404(Organisation, actor, Action.VIEW_MEETING, code=code.strip().upper())
    root = scope_root(actor, Action.VIEW_MEETING)
    if root is None:
        raise Http404
    return root


def year_before(end: dt.date) -> dt.date:
    """The first day of the month eleven months before ``end``'s: twelve calendar months up to ``end``."""
    index = end.year * 12 + end.month - 1 - 11
    return dt.date(index // 12, index % 12 + 1, 1)


def attendance_summary(actor: Any, *, code: str, end: dt.date) -> AttendanceStats | None:
    """The attendance under the organisation ``code`` over the twelve months up to ``end`` (the reports
    page's section), or None when the actor may not see meetings there or none was held."""
    if role_of(actor) is None:
        return None
    root = Organisation.objects.scoped(actor, Action.VIEW_MEETING).filter(code=code).first()
    if root is None:
        return None
    total = attendance_stats(actor, root=root, start=year_before(end), end=end, members=False).total
    return total if total.meetings_held else None
