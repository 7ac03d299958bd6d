"""Reads of the population app: runs and their progress, the counts by reason per child organisation
(for the overview and the reports), and the tasks of a cell or a subtree. Each starts from
``objects.scoped(actor, action)``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet, Sum

from partycard.accounts.roles import Action, allowed
from partycard.core.scope import role_of, scope_path
from partycard.population.models import REASON_FIELDS, CheckRun, CheckTally, DataTask, TaskStatus
from partycard.registry.models import Organisation
from partycard.registry.models.organisation import PATH_SEPARATOR

__all__ = [
    "COUNT_FIELDS",
    "OrganisationCounts",
    "run_counts_by_child",
    "run_get",
    "run_list",
    "run_summary",
    "run_view_root",
    "task_get",
    "task_list",
]

COUNT_FIELDS = ("checked", "agreed", "differed", *REASON_FIELDS)


def run_list(actor: Any) -> QuerySet[CheckRun]:
    """The checks the actor may follow, newest first: those of organisations in their scope, and those of
    an organisation above them (the whole country's), of which they see their own part only
    (:func:`run_summary`, :func:`run_counts_by_child` read the per-cell tallies of their scope)."""
    runs = CheckRun.objects.scoped(actor, Action.VIEW_POPULATION_CHECK)
    prefix = scope_path(actor)
    if prefix and allowed(role_of(actor) or "", Action.VIEW_POPULATION_CHECK):
        above = [prefix[: i + 1] for i, ch in enumerate(prefix) if ch == PATH_SEPARATOR]
        runs = runs | CheckRun.objects.filter(root__path__in=above)
    return runs.select_related("root", "job", "started_by").order_by("-started_at", "-pk")


def run_summary(actor: Any, run: CheckRun) -> dict[str, int]:
    """The run's counters as the actor may see them: the run's own if its organisation is in their scope,
    else the sums over the cells of their scope (``members``: -1, not known per part)."""
    if CheckRun.objects.scoped(actor, Action.VIEW_POPULATION_CHECK).filter(pk=run.pk).exists():
        return {f: getattr(run, f) for f in ("members", "checked", "agreed", "differed", "no_citizen_id")}
    sums = (
        CheckTally.objects.scoped(actor, Action.VIEW_POPULATION_CHECK)
        .filter(run=run)
        .aggregate(
            checked=Sum("checked"),
            agreed=Sum("agreed"),
            differed=Sum("differed"),
            no_citizen_id=Sum("no_citizen_id"),
        )
    )
    return {"members": -1, **{k: v or 0 for k, v in sums.items()}}


def run_get(actor: Any, pk: int) -> CheckRun | None:
    return run_list(actor).filter(pk=pk).first()


@dataclass
class OrganisationCounts:
    organisation: Organisation | None  # None: the whole run's total
    counts: dict[str, int] = field(default_factory=dict)


def run_view_root(actor: Any, run: CheckRun) -> Organisation:
    """Where the viewer's look at ``run`` starts: its root if in their scope, else their own organisation
    (a province's officer looking at the country's run sees their province's part)."""
    scoped = Organisation.objects.scoped(actor, Action.VIEW_POPULATION_CHECK)
    if scoped.filter(pk=run.root_id).exists():
        return run.root
    own = getattr(actor, "organisation", None)
    if own is not None and str(own.path).startswith(run.root.path):
        return own
    return run.root


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
    sums: dict[str, Any] = {f"all_{f}": Sum(f) for f in COUNT_FIELDS}
    for i, child in enumerate(children):
        within = Q(cell__path__startswith=child.path)
        sums.update({f"c{i}_{f}": Sum(f, filter=within) for f in COUNT_FIELDS})
    totals = tallies.aggregate(**sums)
    rows = [OrganisationCounts(None, {f: totals[f"all_{f}"] or 0 for f in COUNT_FIELDS})]
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
