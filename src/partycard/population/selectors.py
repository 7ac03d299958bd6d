"""Reads of the population app: runs and their progress, the counts by reason per child organisation
(for the overview and the reports), and the tasks of a cell or a subtree. Each starts from
``objects.scoped(actor, action)``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet, Sum

from partycard.accounts.roles import Action
from partycard.population.models import REASON_FIELDS, CheckRun, CheckTally, DataTask, TaskStatus
from partycard.registry.models import Organisation

__all__ = [
    "COUNT_FIELDS",
    "OrganisationCounts",
    "run_counts_by_child",
    "run_get",
    "run_list",
    "task_get",
    "task_list",
]

COUNT_FIELDS = ("checked", "agreed", "differed", *REASON_FIELDS)


def run_list(actor: Any) -> QuerySet[CheckRun]:
    """The checks of organisations in the actor's scope, newest first."""
    return (
        CheckRun.objects.scoped(actor, Action.VIEW_POPULATION_CHECK)
        .select_related("root", "job", "started_by")
        .order_by("-started_at", "-pk")
    )


def run_get(actor: Any, pk: int) -> CheckRun | None:
    return run_list(actor).filter(pk=pk).first()


@dataclass
class OrganisationCounts:
    organisation: Organisation | None  # None: the whole run's total
    counts: dict[str, int] = field(default_factory=dict)


def run_counts_by_child(actor: Any, run: CheckRun, parent: Organisation) -> list[OrganisationCounts]:
    """The run's counts for ``parent`` (first: its total) and for each of its child organisations, over
    the cells in the actor's scope only (an officer of a province sees their province's part of the
    country's run). ``parent`` must be the run's root or below it."""
    tallies = CheckTally.objects.scoped(actor, Action.VIEW_POPULATION_CHECK).filter(
        run=run, cell__path__startswith=parent.path
    )
    children = list(
        Organisation.objects.scoped(actor, Action.VIEW_POPULATION_CHECK)
        .filter(parent=parent)
        .order_by("code")
    )
    sums: dict[str, Any] = {f: Sum(f) for f in COUNT_FIELDS}
    for i, child in enumerate(children):
        within = Q(cell__path__startswith=child.path)
        sums.update({f"c{i}_{f}": Sum(f, filter=within) for f in COUNT_FIELDS})
    totals = tallies.aggregate(**sums)
    rows = [OrganisationCounts(None, {f: totals[f] or 0 for f in COUNT_FIELDS})]
    for i, child in enumerate(children):
        counts = {f: totals[f"c{i}_{f}"] or 0 for f in COUNT_FIELDS}
        if counts["checked"]:
            rows.append(OrganisationCounts(child, counts))
    return rows


def task_list(
    actor: Any,
    *,
    organisation: Organisation | None = None,
    status: str | None = TaskStatus.OPEN,
    reason: str | None = None,
    run: int | None = None,
) -> QuerySet[DataTask]:
    """The tasks of members in the actor's scope, optionally of one organisation's subtree (a cell: its
    own), of one status (default: open), with one reason, raised or last updated by one run."""
    tasks = DataTask.objects.scoped(actor, Action.VIEW_POPULATION_CHECK).select_related(
        "member", "cell", "resolved_by"
    )
    if organisation is not None:
        tasks = tasks.filter(member__organisation__path__startswith=organisation.path)
    if status:
        tasks = tasks.filter(status=status)
    if reason:
        tasks = (
            tasks.filter(reasons__contains=[reason])
            if _json_contains()
            else tasks.filter(reasons__icontains=f'"{reason}"')
        )
    if run is not None:
        tasks = tasks.filter(run_id=run)
    return tasks.order_by("cell__path", "member__full_name", "pk")


def task_get(actor: Any, pk: int, action: str = Action.VIEW_POPULATION_CHECK) -> DataTask | None:
    return (
        DataTask.objects.scoped(actor, action)
        .select_related("member", "member__organisation", "cell", "resolved_by")
        .filter(pk=pk)
        .first()
    )


def _json_contains() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"  # SQLite has no JSON containment lookup
