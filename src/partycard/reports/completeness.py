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

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import StrIndex, Substr
from django.utils.translation import gettext_lazy as _

from partycard.accounts.roles import Action
from partycard.population.models import DataTask
from partycard.registry.choices import ACTIVE_STATUSES, MemberStatus
from partycard.registry.models import Member, Organisation
from partycard.reports.keys import MEMBERS
from partycard.reports.selectors import _figures, _organisation, progress_breadcrumbs

__all__ = [
    "PROBLEM_LABELS",
    "Completeness",
    "Problem",
    "completeness_breadcrumbs",
    "completeness_children",
    "completeness_get",
    "completeness_members",
    "completeness_report",
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


def _mismatch_tasks() -> QuerySet[DataTask]:
    """The open tasks of the population check for a reason other than a missing ID."""
    return DataTask.objects.filter(status="open").exclude(reasons=[]).exclude(reasons=["no_citizen_id"])


# The conditions on the member row itself (the mismatch is a row of another table). Their OR is the
# predicate of the partial index ``reports_member_incomplete`` (reports migration 0003): keep the two equal,
# or the planner stops using it. ``photo`` is never NULL (a file field), the IDs are NULL when not recorded.
def _field_problems(prefix: str = "") -> dict[Problem, Q]:
    """The conditions of the problems of the member row, its lookups read through ``prefix`` (a task's
    member: "member__")."""
    return {
        Problem.NO_PHOTO: Q(**{f"{prefix}photo": ""}),
        Problem.NO_CITIZEN_ID: Q(**{f"{prefix}citizen_id__isnull": True}),
        Problem.NO_DATE_OFFICIAL: Q(
            **{f"{prefix}status": MemberStatus.OFFICIAL, f"{prefix}date_official__isnull": True}
        ),
        Problem.NO_FILE_NUMBER: Q(**{f"{prefix}file_number__isnull": True}),
    }


def _field_incomplete(prefix: str = "") -> Q:
    q = Q()
    for condition in _field_problems(prefix).values():
        q |= condition
    return q


def problem_q(problem: Problem) -> Q:
    """The condition on a member row that ``problem`` applies."""
    if problem is Problem.CITIZEN_ID_MISMATCH:
        return Q(pk__in=_mismatch_tasks().values("member_id"))
    return _field_problems()[problem]


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


_ACTIVE = sorted(ACTIVE_STATUSES)


def _child_key(path: str, lookup: str = "organisation__path") -> Any:
    """The code of the child of ``path`` a member's cell sits under: the path's next segment. In SQL, on
    both databases (``substr`` and ``instr``/``strpos``)."""
    start = len(path) + 1
    rest = Substr(F(lookup), start)
    return Substr(F(lookup), start, StrIndex(rest, Value(".")) - 1)


def _problem_counts(path: str, grouped: bool) -> dict[str, Counter[str]]:
    """Per child code of ``path`` (or under "" in total): each problem's count and ``incomplete``.

    Two grouped aggregates, each reading only what it counts: the members lacking a field of their own
    row (through the partial index of exactly those members), and the open mismatch tasks (a few per
    cent of the members), split by whether their member also lacks a field, so that no one is counted
    twice in ``incomplete``.
    """
    out: dict[str, Counter[str]] = defaultdict(Counter)
    members = Member.objects.filter(organisation__path__startswith=path, status__in=_ACTIVE)
    members = members.filter(_field_incomplete())
    figures: dict[str, Any] = {"incomplete": Count("pk")}
    figures |= {p.value: Count("pk", filter=q) for p, q in _field_problems().items()}
    rows: Iterable[dict[str, Any]]
    if grouped:
        rows = members.annotate(child=_child_key(path)).values("child").order_by().annotate(**figures)
    else:
        rows = [{"child": "", **members.aggregate(**figures)}]
    for row in rows:
        out[row.pop("child")].update({k: int(v or 0) for k, v in row.items()})
    tasks = _mismatch_tasks().filter(member__organisation__path__startswith=path, member__status__in=_ACTIVE)
    task_figures = {
        "mismatch": Count("pk"),
        "mismatch_only": Count("pk", filter=~_field_incomplete("member__")),
    }
    task_rows: Iterable[dict[str, Any]]
    if grouped:
        task_rows = (
            tasks.annotate(child=_child_key(path, "member__organisation__path"))
            .values("child")
            .order_by()
            .annotate(**task_figures)
        )
    else:
        task_rows = [{"child": "", **tasks.aggregate(**task_figures)}]
    for row in task_rows:
        counts = out[row["child"]]
        counts[Problem.CITIZEN_ID_MISMATCH.value] += int(row["mismatch"] or 0)
        counts["incomplete"] += int(row["mismatch_only"] or 0)
    return out


def _of(org: Organisation, members: int, counts: Counter[str], has_children: bool) -> Completeness:
    return Completeness(
        code=org.code,
        name=org.name,
        level=org.level,
        has_children=has_children,
        members=members,
        incomplete=counts["incomplete"],
        counts={p.value: counts[p.value] for p in Problem},
    )


def _members(org_ids: list[int]) -> dict[int, int]:
    """The active members of each organisation's subtree: the report's kept counters (``Tally``)."""
    figures = _figures(org_ids, None, None, keys=[MEMBERS])
    return {pk: int(figures[pk][MEMBERS]) for pk in org_ids}


#: A subtree of more members than this (a province, the Centre) has its figures kept in the cache for
#: ``CACHE_SECONDS``: its pass over the members takes seconds while most of them still lack something
#: (docs/performance.md, "Completeness report"). The key is the organisation's path: the figures are the
#: same for every reader allowed to see it (the scope is checked before), and nothing else is cached.
CACHE_MEMBERS = 100_000
CACHE_SECONDS = 600


def _grouped_counts(path: str, members: int) -> dict[str, Counter[str]]:
    if members <= CACHE_MEMBERS:
        return _problem_counts(path, grouped=True)
    key = "reports:completeness:" + hashlib.sha256(path.encode()).hexdigest()[:32]
    found = cache.get(key)
    if found is None:
        found = {child: dict(counts) for child, counts in _problem_counts(path, grouped=True).items()}
        cache.set(key, found, CACHE_SECONDS)
    return {child: Counter(counts) for child, counts in found.items()}


def completeness_report(actor: Any, *, code: str | None = None) -> tuple[Completeness, list[Completeness]]:
    """The figures of organisation ``code`` (None: the actor's scope root) and of each organisation
    directly under it (code order): one pass over the subtree, the parent's figures the sum of its
    children's (members sit in cells, and every cell is under one child).

    Raises:
        OutOfScope: no such organisation in the actor's scope for ``VIEW_REPORT``.
    """
    org = _organisation(actor, code)
    children = list(Organisation.objects.filter(parent=org).order_by("code"))
    members = _members([org.pk, *(c.pk for c in children)])
    if not children:
        counts = _problem_counts(org.path, grouped=False)[""]
        return _of(org, members[org.pk], counts, False), []
    by_child = _grouped_counts(org.path, members[org.pk])
    parents = set(
        Organisation.objects.filter(parent__in=children)
        .order_by()
        .values_list("parent_id", flat=True)
        .distinct()
    )
    rows = [_of(c, members[c.pk], by_child.get(c.code, Counter()), c.pk in parents) for c in children]
    total: Counter[str] = Counter()
    for counts in by_child.values():
        total.update(counts)
    return _of(org, members[org.pk], total, True), rows


def completeness_get(actor: Any, *, code: str | None = None) -> Completeness:
    """The figures of organisation ``code`` (None: the actor's scope root) over its whole subtree.

    Raises:
        OutOfScope: no such organisation in the actor's scope for ``VIEW_REPORT``.
    """
    return completeness_report(actor, code=code)[0]


def completeness_children(actor: Any, *, code: str) -> list[Completeness]:
    """The figures of each organisation directly under ``code`` (code order).

    Raises:
        OutOfScope: no such organisation in the actor's scope.
    """
    return completeness_report(actor, code=code)[1]


def completeness_members(actor: Any, *, code: str, problem: Problem) -> QuerySet[Member]:
    """The active members of ``code``'s subtree that ``problem`` applies to, by cell and name; read through
    the members the actor may see (``VIEW_MEMBER``), so a link from the list opens for them; ``actor`` None
    is the system (the operator's command line), as for the figures.

    Raises:
        OutOfScope: no such organisation in the actor's scope for ``VIEW_REPORT``.
    """
    org = _organisation(actor, code)
    visible = Member.objects.all() if actor is None else Member.objects.scoped(actor, Action.VIEW_MEMBER)
    return (
        visible.filter(organisation__path__startswith=org.path, status__in=sorted(ACTIVE_STATUSES))
        .filter(problem_q(problem))
        .select_related("organisation")
        .order_by("organisation__path", "name_search", "pk")
    )


def completeness_breadcrumbs(actor: Any, *, code: str) -> list[tuple[str, str]]:
    """``(code, name)`` from the actor's scope root down to ``code`` (the progress report's)."""
    return progress_breadcrumbs(actor, code=code)
