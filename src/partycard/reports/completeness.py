"""The completeness report (issue 17: the directive asks the member data to be "complete before 2/9";
"a report of missing or doubtful data per organisation: no photo, no citizen ID, citizen ID mismatch, no
dates"): per organisation of the actor's subtree, how many active members lack each item, and who they are.

The problems counted (docs/reports.md, "Completeness"), over probationary and official members only:

* ``no_photo`` — no photo: the card's chip and face carry one (the directive: members "photographed");
* ``no_citizen_id`` — no citizen ID: the key of the cross-check with the national population database;
* ``citizen_id_mismatch`` — the population database disagrees: an **open** ``population.DataTask`` with a
  reason other than ``no_citizen_id`` (that one is already the row above);
* ``no_date_official`` — an official member without the date they were made official (the other dates,
  of birth and of admission, are required by the registry and cannot be missing);
* ``no_file_number`` — no party file number: the stable key of the synchronisation with the Party's
  member database (``partysync``).

A member is complete when none applies. Selectors only (STYLE.md rule 3), scoped with ``VIEW_REPORT``: an
organisation outside the actor's subtree is ``OutOfScope`` (404). Each figure is one aggregate over the
subtree's members grouped by the child they sit under (``_child_key``), read through the organisation
path's prefix index and the member's organisation index; the mismatch is a semi-join on the one open task
a member may have (``population_task_one_open``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import StrIndex, Substr
from django.utils.translation import gettext_lazy as _

from partycard.accounts.roles import Action
from partycard.population.models import DataTask
from partycard.registry.choices import ACTIVE_STATUSES, MemberStatus
from partycard.registry.models import Member, Organisation
from partycard.reports.selectors import _organisation, progress_breadcrumbs

__all__ = [
    "PROBLEM_LABELS",
    "Completeness",
    "Problem",
    "completeness_breadcrumbs",
    "completeness_children",
    "completeness_get",
    "completeness_members",
    "problem_q",
]


class Problem(StrEnum):
    NO_PHOTO = "no_photo"
    NO_CITIZEN_ID = "no_citizen_id"
    CITIZEN_ID_MISMATCH = "citizen_id_mismatch"
    NO_DATE_OFFICIAL = "no_date_official"
    NO_FILE_NUMBER = "no_file_number"


PROBLEM_LABELS: dict[Problem, Any] = {
    Problem.NO_PHOTO: _("No photo"),
    Problem.NO_CITIZEN_ID: _("No citizen ID"),
    Problem.CITIZEN_ID_MISMATCH: _("Citizen ID data differ from the population database"),
    Problem.NO_DATE_OFFICIAL: _("Official member without the date made official"),
    Problem.NO_FILE_NUMBER: _("No party file number"),
}


def _mismatch() -> Exists:
    """The member has an open task of the population check for a reason other than a missing ID."""
    open_tasks = DataTask.objects.filter(member=OuterRef("pk"), status="open")
    return Exists(open_tasks.exclude(reasons=[]).exclude(reasons=["no_citizen_id"]))


def problem_q(problem: Problem) -> Q:
    """The condition on a member row that ``problem`` applies."""
    if problem is Problem.NO_PHOTO:
        return Q(photo="") | Q(photo__isnull=True)
    if problem is Problem.NO_CITIZEN_ID:
        return Q(citizen_id__isnull=True) | Q(citizen_id="")
    if problem is Problem.CITIZEN_ID_MISMATCH:
        return Q(_mismatch())
    if problem is Problem.NO_DATE_OFFICIAL:
        return Q(status=MemberStatus.OFFICIAL, date_official__isnull=True)
    return Q(file_number__isnull=True) | Q(file_number="")


def _any_problem() -> Q:
    q = Q()
    for problem in Problem:
        q |= problem_q(problem)
    return q


@dataclass(frozen=True)
class Completeness:
    """One organisation's figures: its active members, how many lack each item, how many lack any."""

    code: str
    name: str
    level: int
    has_children: bool
    members: int = 0
    incomplete: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> int:
        return self.members - self.incomplete

    @property
    def complete_share(self) -> float:
        """Complete members over members (1.0 for an organisation without members: nothing is missing)."""
        return self.complete / self.members if self.members else 1.0

    def count(self, problem: str) -> int:
        return self.counts.get(problem, 0)


def _active_in(path: str) -> QuerySet[Member]:
    return Member.objects.filter(organisation__path__startswith=path, status__in=sorted(ACTIVE_STATUSES))


def _aggregate(members: QuerySet[Member], group: Any = None) -> list[dict[str, Any]]:
    """The figures of ``members``, per value of ``group`` (an expression), or in total."""
    figures: dict[str, Any] = {
        "members": Count("pk"),
        "incomplete": Count("pk", filter=_any_problem()),
        **{p.value: Count("pk", filter=problem_q(p)) for p in Problem},
    }
    if group is None:
        return [members.aggregate(**figures)]
    return list(members.annotate(child=group).values("child").order_by("child").annotate(**figures))


def _child_key(path: str) -> Any:
    """The code of the child of ``path`` a member's cell sits under: the path's next segment ("" for a
    member of the organisation itself). In SQL, on both databases (``substr`` and ``instr``/``strpos``)."""
    start = len(path) + 1
    rest = Substr(F("organisation__path"), start)
    return Substr(F("organisation__path"), start, StrIndex(rest, Value(".")) - 1)


def _of(org: Organisation, row: dict[str, Any], has_children: bool) -> Completeness:
    return Completeness(
        code=org.code,
        name=org.name,
        level=org.level,
        has_children=has_children,
        members=int(row.get("members") or 0),
        incomplete=int(row.get("incomplete") or 0),
        counts={p.value: int(row.get(p.value) or 0) for p in Problem},
    )


def completeness_get(actor: Any, *, code: str | None = None) -> Completeness:
    """The figures of organisation ``code`` (None: the actor's scope root) over its whole subtree.

    Raises:
        OutOfScope: no such organisation in the actor's scope for ``VIEW_REPORT``.
    """
    org = _organisation(actor, code)
    (row,) = _aggregate(_active_in(org.path))
    return _of(org, row, Organisation.objects.filter(parent=org).exists())


def completeness_children(actor: Any, *, code: str) -> list[Completeness]:
    """The figures of each organisation directly under ``code`` (code order), from one grouped aggregate:
    their sum is the parent's (members sit in cells, and every cell under ``code`` is under one child).

    Raises:
        OutOfScope: no such organisation in the actor's scope.
    """
    org = _organisation(actor, code)
    children = list(Organisation.objects.filter(parent=org).order_by("code"))
    if not children:
        return []
    rows = {r["child"]: r for r in _aggregate(_active_in(org.path), _child_key(org.path))}
    parents = set(
        Organisation.objects.filter(parent__in=children)
        .order_by()
        .values_list("parent_id", flat=True)
        .distinct()
    )
    return [_of(c, rows.get(c.code, {}), c.pk in parents) for c in children]


def completeness_members(actor: Any, *, code: str, problem: Problem) -> QuerySet[Member]:
    """The active members of ``code``'s subtree that ``problem`` applies to, by cell and name; read through
    the members the actor may see (``VIEW_MEMBER``), so a link from the list opens for them.

    Raises:
        OutOfScope: no such organisation in the actor's scope for ``VIEW_REPORT``.
    """
    org = _organisation(actor, code)
    return (
        Member.objects.scoped(actor, Action.VIEW_MEMBER)
        .filter(organisation__path__startswith=org.path, status__in=sorted(ACTIVE_STATUSES))
        .filter(problem_q(problem))
        .select_related("organisation")
        .order_by("organisation__path", "name_search", "pk")
    )


def completeness_breadcrumbs(actor: Any, *, code: str) -> list[tuple[str, str]]:
    """``(code, name)`` from the actor's scope root down to ``code`` (the progress report's)."""
    return progress_breadcrumbs(actor, code=code)
