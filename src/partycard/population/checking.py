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

from django.db import connection
from django.db.models import F, Field, Model, QuerySet

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
    # The members are an id range (the job's chunk): their results so far, read by range, not by a list.
    have = (
        set(
            CheckResult.objects.filter(run=run, member_id__gte=rows[0][0], member_id__lte=rows[-1][0])
            .values_list("member_id", flat=True)
            .iterator()
        )
        & {r[0] for r in rows}
        if rows
        else set()
    )
    out = StepOutcome(skipped=len(have))
    rows = [r for r in rows if r[0] not in have]
    if not rows:
        return out
    ids = [r[1] for r in rows if r[1]]
    answers = registry.lookup_many(ids) if ids else {}
    out.asked = len(ids)

    results: list[tuple[int, int, str, str, dt.datetime]] = []
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
        results.append((run.pk, member_id, str(outcome), ",".join(reasons), at))
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
    _insert_results(results)  # UNIQUE(run, member): never twice
    out.checked = len(results)
    _tasks(run, differing, agreeing, at, out)
    _tally(run, tallies)
    counts = Counter(r[2] for r in results)
    CheckRun.objects.filter(pk=run.pk).update(
        checked=F("checked") + len(results),
        agreed=F("agreed") + counts[Outcome.AGREES],
        differed=F("differed") + counts[Outcome.DIFFERS],
        no_citizen_id=F("no_citizen_id") + counts[Outcome.NO_CITIZEN_ID],
    )
    return out


def _insert_results(rows: Sequence[tuple[int, int, str, str, dt.datetime]]) -> None:
    """Insert the results as multi-row INSERTs of ``_INSERT_ROWS`` rows: Django's ``bulk_create`` spends
    tens of µs a row preparing values, a large part of the stand-in's budget per member at 10,000/s
    (5.6 million rows a country's run)."""
    meta = CheckResult._meta
    columns = [_column(CheckResult, f) for f in ("run", "member", "outcome", "reasons", "checked_at")]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) VALUES "  # noqa: S608
    at = connection.ops.adapt_datetimefield_value(rows[0][4]) if rows else None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and rows:
            # COPY, as the seed loads members: no statement to parse, no parameter to adapt one by one.
            # The values are ids, choice codes and one timestamp: nothing COPY's text format must escape.
            text = "".join(
                f"{run}\t{member}\t{outcome}\t{reasons}\t{at}\n" for run, member, outcome, reasons, _ in rows
            )
            with cursor.copy(
                f"COPY {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
            ) as copy:
                copy.write(text.encode())
            return
        for start in range(0, len(rows), _INSERT_ROWS):
            part = rows[start : start + _INSERT_ROWS]
            cursor.execute(
                head + ", ".join(["(%s, %s, %s, %s, %s)"] * len(part)),
                [v for run, member, outcome, reasons, _ in part for v in (run, member, outcome, reasons, at)],
            )


_INSERT_ROWS = 1000


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column
    return str(field.column)


def _tasks(
    run: CheckRun,
    differing: dict[int, tuple[list[str], dict[str, str], int]],
    agreeing: Sequence[int],
    at: dt.datetime,
    out: StepOutcome,
) -> None:
    """Raise, update or close the members' tasks (one OPEN task per member: the partial unique index)."""
    ids = {*differing, *agreeing}
    if not ids:
        return
    # The chunk is an id range: read its open tasks by range (the one-open-per-member index), not by a list
    # of thousands of ids.
    in_range = DataTask.objects.filter(
        member_id__gte=min(ids), member_id__lte=max(ids), status=TaskStatus.OPEN
    )
    open_tasks = {t.member_id: t for t in in_range if t.member_id in ids}
    confirmed: dict[int, DataTask] = {}
    for t in DataTask.objects.filter(member_id__in=list(differing), status=TaskStatus.CONFIRMED).order_by(
        "member_id", "-resolved_at", "-pk"
    ):
        confirmed.setdefault(t.member_id, t)
    new, changed, touched = [], [], []
    for member_id, (reasons, found, cell_id) in differing.items():
        task = open_tasks.get(member_id)
        if task is not None:
            if (task.reasons, task.found, task.cell_id) != (reasons, found, cell_id):
                task.reasons, task.found, task.cell_id, task.run_id = reasons, found, cell_id, run.pk
                changed.append(task)
            elif task.run_id != run.pk:
                touched.append(task.pk)  # the same difference: only the run that saw it last changes
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
    for task in changed:  # few: a difference that changed between two runs
        DataTask.objects.filter(pk=task.pk).update(
            reasons=task.reasons, found=task.found, cell_id=task.cell_id, run_id=run.pk
        )
    if touched:
        DataTask.objects.filter(pk__in=touched).update(run_id=run.pk)
    closing = [open_tasks[m].pk for m in agreeing if m in open_tasks]
    if closing:
        DataTask.objects.filter(pk__in=closing, status=TaskStatus.OPEN).update(
            status=TaskStatus.CLOSED, resolved_at=at, run_id=run.pk
        )
    out.raised, out.updated, out.closed = len(new), len(changed), len(closing)


def _tally(run: CheckRun, tallies: dict[int, Counter[str]]) -> None:
    """Add this step's counts to the run's per-cell tallies: one upsert (``INSERT … ON CONFLICT … DO UPDATE
    SET n = n + excluded.n``, PostgreSQL and SQLite ≥ 3.24 alike) for the couple of hundred cells of a
    chunk; ``bulk_update``'s CASE per row and field cost more than the rest of the chunk."""
    if not tallies:
        return
    names = ("checked", "agreed", "differed", *REASON_FIELDS)
    meta = CheckTally._meta
    quote = connection.ops.quote_name
    run_col, cell_col = _column(CheckTally, "run"), _column(CheckTally, "cell")
    columns = [run_col, cell_col, *(_column(CheckTally, n) for n in names)]
    sets = ", ".join(
        f"{quote(c)} = {quote(meta.db_table)}.{quote(c)} + excluded.{quote(c)}" for c in columns[2:]
    )
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) VALUES "  # noqa: S608
    tail = f" ON CONFLICT ({quote(run_col)}, {quote(cell_col)}) DO UPDATE SET {sets}"
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    cells = sorted(tallies)  # in key order: two writers would lock the rows in the same order
    with connection.cursor() as cursor:
        for start in range(0, len(cells), _TALLY_ROWS):
            part = cells[start : start + _TALLY_ROWS]
            params = [v for c in part for v in (run.pk, c, *(tallies[c][n] for n in names))]
            cursor.execute(head + ", ".join([row] * len(part)) + tail, params)


_TALLY_ROWS = 500  # 5,000 parameters a statement: well under SQLite's 32,766
