"""One step of the cross-check (issue 17): a set of members asked of the population database, compared,
recorded, and the tasks of their cells raised, updated or closed — all in the caller's transaction.

The rules, from the issue: every member is matched on citizen ID, name, date of birth and gender; the name
compared exactly *and* accent- and space-insensitively, kept apart (``nationalid.compare``); each
difference classified with a reason code and routed to the member's cell as a task to resolve. And, where
the issue is silent, what a data officer expects:

- a member with no citizen ID is not asked (there is nothing to ask with): a ``no_citizen_id`` task;
- one OPEN task per member: a new run updates it (its reasons, what was found, its cell) instead of piling
  up another; a member whose record now agrees has their open task closed (``closed``);
- a difference the cell already confirmed with a note (same reasons, same values found) is not raised
  again at every run;
- a member that already has a result in this run is skipped: a resumed run never asks twice.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import F, QuerySet

from partycard.nationalid.compare import Record, compare
from partycard.nationalid.registry import PopulationRegistry
from partycard.population.models import (
    REASON_FIELDS,
    CheckResult,
    CheckRun,
    CheckTally,
    DataTask,
    Outcome,
    TaskReason,
    TaskStatus,
)
from partycard.registry.models import Member

__all__ = ["StepOutcome", "check_members"]


@dataclass
class StepOutcome:
    checked: int = 0  # members given a result now
    skipped: int = 0  # members that had one already (a resumed chunk)
    asked: int = 0  # citizen IDs asked of the population database
    raised: int = 0
    updated: int = 0
    closed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def check_members(
    *, run: CheckRun, members: QuerySet[Member], registry: PopulationRegistry, at: dt.datetime
) -> StepOutcome:
    """Check ``members`` (any queryset: the job passes an id range of the run's subtree) for ``run``.

    Raises:
        PopulationError: the population database gave no answer (after the client's retries); nothing of
            this step is kept (the caller's transaction rolls back) and the job can be resumed.
    """
    rows = list(
        members.order_by("id").values_list(
            "id", "citizen_id", "full_name", "date_of_birth", "gender", "organisation_id"
        )
    )
    have = set(
        CheckResult.objects.filter(run=run, member_id__in=[r[0] for r in rows]).values_list(
            "member_id", flat=True
        )
    )
    out = StepOutcome(skipped=len(have))
    rows = [r for r in rows if r[0] not in have]
    if not rows:
        return out
    ids = [r[1] for r in rows if r[1]]
    answers = registry.lookup_many(ids) if ids else {}
    out.asked = len(ids)

    results: list[CheckResult] = []
    differing: dict[int, tuple[list[str], dict[str, str], int]] = {}
    agreeing: list[int] = []
    tallies: dict[int, Counter[str]] = defaultdict(Counter)
    for member_id, citizen_id, full_name, born, gender, cell_id in rows:
        if not citizen_id:
            reasons, found, outcome = [TaskReason.NO_CITIZEN_ID.value], {}, Outcome.NO_CITIZEN_ID
        else:
            c = compare(Record(citizen_id, full_name, born, gender), answers[citizen_id])
            reasons, found = list(c.reasons), c.found
            outcome = Outcome.AGREES if c.agrees else Outcome.DIFFERS
        results.append(
            CheckResult(
                run=run, member_id=member_id, outcome=outcome, reasons=",".join(reasons), checked_at=at
            )
        )
        tally = tallies[cell_id]
        tally["checked"] += 1
        if outcome == Outcome.AGREES:
            tally["agreed"] += 1
        elif outcome == Outcome.DIFFERS:
            tally["differed"] += 1
        tally.update(reasons)
        out.reasons.update(reasons)
        if reasons:
            differing[member_id] = (reasons, found, cell_id)
        else:
            agreeing.append(member_id)
    CheckResult.objects.bulk_create(results, batch_size=2000)  # UNIQUE(run, member): never twice
    out.checked = len(results)
    _tasks(run, differing, agreeing, at, out)
    _tally(run, tallies)
    counts = Counter(r.outcome for r in results)
    CheckRun.objects.filter(pk=run.pk).update(
        checked=F("checked") + len(results),
        agreed=F("agreed") + counts[Outcome.AGREES],
        differed=F("differed") + counts[Outcome.DIFFERS],
        no_citizen_id=F("no_citizen_id") + counts[Outcome.NO_CITIZEN_ID],
    )
    return out


def _tasks(
    run: CheckRun,
    differing: dict[int, tuple[list[str], dict[str, str], int]],
    agreeing: Sequence[int],
    at: dt.datetime,
    out: StepOutcome,
) -> None:
    """Raise, update or close the members' tasks (one OPEN task per member: the partial unique index)."""
    open_tasks = {
        t.member_id: t
        for t in DataTask.objects.filter(member_id__in=[*differing, *agreeing], status=TaskStatus.OPEN)
    }
    confirmed: dict[int, DataTask] = {}
    for t in DataTask.objects.filter(member_id__in=list(differing), status=TaskStatus.CONFIRMED).order_by(
        "member_id", "-resolved_at", "-pk"
    ):
        confirmed.setdefault(t.member_id, t)
    new, changed = [], []
    for member_id, (reasons, found, cell_id) in differing.items():
        task = open_tasks.get(member_id)
        if task is not None:
            if (task.reasons, task.found, task.cell_id) != (reasons, found, cell_id) or task.run_id != run.pk:
                task.reasons, task.found, task.cell_id, task.run_id = reasons, found, cell_id, run.pk
                changed.append(task)
            continue
        known = confirmed.get(member_id)
        if known is not None and (known.reasons, known.found) == (reasons, found):
            continue  # the cell already confirmed this very difference
        new.append(
            DataTask(
                member_id=member_id,
                cell_id=cell_id,
                reasons=reasons,
                found=found,
                raised_at=at,
                run_id=run.pk,
            )
        )
    DataTask.objects.bulk_create(new, batch_size=2000)
    DataTask.objects.bulk_update(changed, ["reasons", "found", "cell", "run_id"], batch_size=2000)
    closing = [open_tasks[m].pk for m in agreeing if m in open_tasks]
    if closing:
        DataTask.objects.filter(pk__in=closing, status=TaskStatus.OPEN).update(
            status=TaskStatus.CLOSED, resolved_at=at, run_id=run.pk
        )
    out.raised, out.updated, out.closed = len(new), len(changed), len(closing)


def _tally(run: CheckRun, tallies: dict[int, Counter[str]]) -> None:
    """Add this step's counts to the run's per-cell tallies (one runner per run: no lost update)."""
    names = ("checked", "agreed", "differed", *REASON_FIELDS)
    existing = {t.cell_id: t for t in CheckTally.objects.filter(run=run, cell_id__in=list(tallies))}
    new, changed = [], []
    for cell_id, counts in tallies.items():
        tally = existing.get(cell_id)
        if tally is None:
            new.append(CheckTally(run=run, cell_id=cell_id, **{n: counts[n] for n in names}))
        else:
            for n in names:
                setattr(tally, n, getattr(tally, n) + counts[n])
            changed.append(tally)
    CheckTally.objects.bulk_create(new)
    CheckTally.objects.bulk_update(changed, list(names))
