"""Loading the generated registry into the database: COPY on PostgreSQL, batched INSERT on SQLite.

Resumable without duplicates: each chunk of members is written in its own transaction together with the
``SeedRun.chunks_done`` mark, and any chunk can be regenerated identically, so after a crash the next run
starts at the first chunk that did not commit. On PostgreSQL the member table's secondary indexes and
constraints are dropped for the load and rebuilt once at the end (one sort per index instead of 5.6 M
index insertions); their definitions are saved in the ``SeedRun`` row first, so a crash in between
still restores them.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import accumulate
from multiprocessing import get_context

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from tqdm import tqdm

from partycard.audit.services import audit_record
from partycard.core.errors import DomainError, ErrorCode
from partycard.core.text import fold
from partycard.registry.models import Ethnicity, Member, Organisation, SeedRun
from partycard.registry.search_index import ENTRY_TABLE, search_index_rebuild
from partycard.registry.seeding import people
from partycard.registry.seeding.data import ETHNICITIES
from partycard.registry.seeding.tree import Tree, build_tree

__all__ = [
    "DEFAULT_WORKERS",
    "REFERENCE_DATE",
    "SeedReport",
    "ensure_ethnicities",
    "make_plan",
    "seed_registry",
]

# Generation is the bottleneck (one process makes ~160,000 rows/s, COPY takes ~330,000/s): one worker per
# CPU, up to 4 (docs/performance.md: on 2 cores, 2 workers reach 56 % of raw COPY, 1 worker 48 %).
DEFAULT_WORKERS = max(1, min(4, os.cpu_count() or 1))

# Ages and dates are generated relative to this day, so the same seed gives the same rows on any day.
REFERENCE_DATE = dt.date(2026, 1, 1)
MEMBER_TABLE = Member._meta.db_table
ORG_TABLE = Organisation._meta.db_table
ORG_COLUMNS = (
    "id",
    "code",
    "name",
    "name_search",
    "level",
    "parent_id",
    "path",
    "member_count",
    "dissolved_on",
    "created_at",
    "updated_at",
)


@dataclass
class SeedReport:
    organisations: int
    members: int
    resumed_from_chunk: int
    load_seconds: float  # member rows only: generate + write
    finish_seconds: float  # index and constraint rebuild, counters, the search index, VACUUM (ANALYZE)
    total_seconds: float


def ensure_ethnicities() -> int:
    """Insert any of the 54 groups that is missing; return how many were added.

    The data migration calls the same list; tests that truncate tables (transactional tests) call this.
    """
    present = set(Ethnicity.objects.values_list("code", flat=True))
    missing = [Ethnicity(code=c, name=n) for c, n in ETHNICITIES if c not in present]
    Ethnicity.objects.bulk_create(missing)
    return len(missing)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _timestamp(at: dt.datetime) -> str:
    utc = at.astimezone(dt.UTC).replace(tzinfo=None)
    return f"{utc.isoformat(sep=' ')}+00" if _is_postgres() else utc.isoformat(sep=" ")


def make_plan(tree: Tree, seed: int, timestamp: str) -> people.MemberPlan:
    ends = tuple(accumulate(tree.holding_sizes))
    first_ids: dict[int, int] = {}
    for committee, end, size in zip(tree.holding_committee, ends, tree.holding_sizes, strict=True):
        first_ids.setdefault(committee, end - size + 1)
    committees = max(tree.holding_committee) + 1 if tree.holding_committee else 0
    return people.MemberPlan(
        seed=seed,
        holding_ids=tuple(tree.holding_ids),
        holding_ends=ends,
        holding_committee=tuple(tree.holding_committee),
        committee_first_id=tuple(first_ids.get(c, 1) for c in range(committees)),
        reference_date=REFERENCE_DATE,
        timestamp=timestamp,
    )


def _number(n: int) -> str:
    """Thousands grouped the local way (5.600.000 in Vietnamese)."""
    return number_format(n, force_grouping=True)


def _claim_run(*, members: int, seed: int) -> SeedRun:
    """The run to continue, or a new one; refuse a finished seed, a different one, or foreign data."""
    run = SeedRun.objects.order_by("-id").first()
    if run is not None and run.phase == "done":
        raise DomainError(
            _(
                "This database is already seeded (%(members)s members, seed %(seed)s, finished %(at)s). "
                "Seeding again would duplicate the registry; use an empty database."
            )
            % {
                "members": _number(run.members),
                "seed": run.seed,
                "at": timezone.localtime(run.finished_at).strftime("%d/%m/%Y %H:%M")
                if run.finished_at
                else "",
            },
            code=ErrorCode.ALREADY_SEEDED,
        )
    if run is not None and (run.members, run.seed) != (members, seed):
        raise DomainError(
            _(
                "An unfinished seed of %(members)s members with seed %(seed)s is in this database. "
                "Run 'partycard seed --members %(members_raw)s --seed %(seed)s' to resume it."
            )
            % {"members": _number(run.members), "members_raw": run.members, "seed": run.seed},
            code=ErrorCode.CONFLICT,
        )
    if run is None:
        if Organisation.objects.exists() or Member.objects.exists():
            raise DomainError(
                _(
                    "The registry already holds organisations or members that seed did not create; "
                    "seed only fills an empty registry."
                ),
                code=ErrorCode.CONFLICT,
            )
        run = SeedRun.objects.create(seed=seed, members=members)
    return run


def _org_rows(tree: Tree, ts: str) -> list[tuple[int | str | None, ...]]:
    return [
        (o.id, o.code, o.name, fold(o.name), o.level, o.parent_id, o.path, 0, None, ts, ts) for o in tree.orgs
    ]


def _insert_tree(tree: Tree, run: SeedRun, ts: str) -> None:
    rows = _org_rows(tree, ts)
    with transaction.atomic(), connection.cursor() as cursor:
        if _is_postgres():
            cols = ", ".join(ORG_COLUMNS)
            with cursor.copy(f"COPY {ORG_TABLE} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            # Check the deferred parent foreign keys now, so no trigger event is left pending when the
            # member table's constraints are dropped next (also when both run in one outer transaction).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        else:
            marks = ", ".join(["%s"] * len(ORG_COLUMNS))
            cursor.executemany(f"INSERT INTO {ORG_TABLE} ({', '.join(ORG_COLUMNS)}) VALUES ({marks})", rows)
        SeedRun.objects.filter(pk=run.pk).update(phase="tree")


def _defer_member_ddl(run: SeedRun) -> None:
    """Save, then drop, the member table's secondary indexes and constraints (PostgreSQL only)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype <> 'p'",
            [MEMBER_TABLE],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [MEMBER_TABLE, MEMBER_TABLE],
        )
        indexes = cursor.fetchall()
        ddl = [{"name": n, "kind": "index", "sql": sql} for n, sql in indexes] + [
            {"name": n, "kind": "constraint", "sql": f'ALTER TABLE {MEMBER_TABLE} ADD CONSTRAINT "{n}" {d}'}
            for n, d in constraints
        ]
        SeedRun.objects.filter(pk=run.pk).update(deferred_ddl=ddl, phase="members")
        for item in ddl:
            if item["kind"] == "constraint":
                cursor.execute(f'ALTER TABLE {MEMBER_TABLE} DROP CONSTRAINT "{item["name"]}"')
        for item in ddl:
            if item["kind"] == "index":
                cursor.execute(f'DROP INDEX IF EXISTS "{item["name"]}"')
    run.refresh_from_db()


def _restore_member_ddl(run: SeedRun) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [MEMBER_TABLE])
        existing = {r[0] for r in cursor.fetchall()}
        cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass", [MEMBER_TABLE])
        existing |= {r[0] for r in cursor.fetchall()}
        for item in [i for i in run.deferred_ddl if i["kind"] == "index"] + [
            i for i in run.deferred_ddl if i["kind"] == "constraint"
        ]:
            if item["name"] not in existing:
                cursor.execute(item["sql"])


def _recount() -> None:
    from partycard.registry.services import organisations_recount, subtree_totals_recount

    if not _is_postgres():
        organisations_recount()
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ORG_TABLE} o SET member_count = c.n FROM ("
            f"  SELECT organisation_id, count(*) AS n FROM {MEMBER_TABLE}"
            f"  WHERE status IN ('probationary', 'official') GROUP BY organisation_id"
            f") c WHERE o.id = c.organisation_id AND o.member_count <> c.n"
        )
    subtree_totals_recount()


def _write_chunk(payload: bytes | list[tuple[str | None, ...]], run: SeedRun, done: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if isinstance(payload, bytes):
            with cursor.copy(f"COPY {MEMBER_TABLE} ({', '.join(people.COLUMNS)}) FROM STDIN") as copy:
                copy.write(payload)
        else:
            marks = ", ".join(["%s"] * len(people.COLUMNS))
            cursor.executemany(
                f"INSERT INTO {MEMBER_TABLE} ({', '.join(people.COLUMNS)}) VALUES ({marks})", payload
            )
        SeedRun.objects.filter(pk=run.pk).update(chunks_done=done)


def seed_registry(
    *,
    members: int,
    seed: int = 1,
    chunk_size: int = 50_000,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
    after_chunk: Callable[[int], None] | None = None,
) -> SeedReport:
    """Fill an empty registry with a national-shaped tree and ``members`` members, or finish a crashed run.

    Args:
        workers: processes generating member rows while this one writes (PostgreSQL; 0 = generate inline).
        after_chunk: called with the number of chunks committed so far (tests use it to simulate a crash).

    Raises:
        DomainError: the database is already seeded, holds other data, or holds a different unfinished seed.
    """
    if members < 1:
        raise DomainError(_("--members must be at least 1."), field="members")
    started = time.perf_counter()
    run = _claim_run(members=members, seed=seed)
    ensure_ethnicities()  # the rows reference the 54 groups (normally loaded by migration 0002)
    tree = build_tree(members, seed)
    ts = _timestamp(run.started_at or timezone.now())
    if run.phase == "started":
        _insert_tree(tree, run, ts)
        run.refresh_from_db()
    plan = make_plan(tree, seed, ts)
    postgres = _is_postgres()
    if postgres and run.phase == "tree":
        _defer_member_ddl(run)
    elif run.phase == "tree":
        SeedRun.objects.filter(pk=run.pk).update(phase="members")
    total_chunks = (members + chunk_size - 1) // chunk_size
    resumed_from = run.chunks_done
    if resumed_from:  # chunks are numbered by size: resuming with another size would skip or repeat ids
        last_id = Member.objects.aggregate(n=Max("id"))["n"] or 0
        if last_id != min(members, resumed_from * chunk_size):
            raise DomainError(
                _("This seed was started with --chunk-size %(size)s; resume it with the same chunk size.")
                % {"size": last_id // resumed_from},
                field="chunk_size",
                code=ErrorCode.CONFLICT,
            )
    load_started = time.perf_counter()
    bar = tqdm(
        total=members,
        initial=min(members, resumed_from * chunk_size),
        unit=" members",
        unit_scale=True,
        disable=not progress,
        desc="seed",
        smoothing=0.1,
    )

    def bounds(i: int) -> tuple[int, int]:
        return i * chunk_size + 1, min(members, (i + 1) * chunk_size)

    if postgres and workers > 0:
        with ProcessPoolExecutor(
            workers, mp_context=get_context("spawn"), initializer=people.worker_init, initargs=(plan,)
        ) as pool:
            pending: deque[tuple[int, Future[bytes]]] = deque()
            nxt = resumed_from
            while pending or nxt < total_chunks:
                while nxt < total_chunks and len(pending) < workers + 2:
                    pending.append((nxt, pool.submit(people.worker_chunk, *bounds(nxt))))
                    nxt += 1
                i, fut = pending.popleft()
                _write_chunk(fut.result(), run, i + 1)
                bar.update(bounds(i)[1] - bounds(i)[0] + 1)
                if after_chunk:
                    after_chunk(i + 1)
    else:
        for i in range(resumed_from, total_chunks):
            first, last = bounds(i)
            payload = (
                people.chunk_copy_text(plan, first, last)
                if postgres
                else people.chunk_rows(plan, first, last)
            )
            _write_chunk(payload, run, i + 1)
            bar.update(last - first + 1)
            if after_chunk:
                after_chunk(i + 1)
    bar.close()
    load_seconds = time.perf_counter() - load_started
    finish_started = time.perf_counter()
    with transaction.atomic():
        if postgres:
            _restore_member_ddl(run)
        _recount()
        # The member list's index, from the loaded rows in a few statements (registry/search_index.py);
        # before the run is marked done, so that a crash here leaves a seed that resumes.
        search_index_rebuild()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Organisation, Member]):
                cursor.execute(sql)
        SeedRun.objects.filter(pk=run.pk).update(phase="done", finished_at=timezone.now())
        audit_record(
            actor=None,
            action="seed",
            object_type="registry.seedrun",
            object_id=str(run.pk),
            changes={
                "members": [None, members],
                "organisations": [None, len(tree.orgs)],
                "seed": [None, seed],
            },
        )
    if postgres:
        # VACUUM also sets the visibility map, without which no query can be answered from an index
        # alone until autovacuum passes; it cannot run inside a transaction (tests), ANALYZE can.
        verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            cursor.execute(f"{verb} {ORG_TABLE}")
            cursor.execute(f"{verb} {MEMBER_TABLE}")
            cursor.execute(f"{verb} {ENTRY_TABLE}")
    return SeedReport(
        organisations=len(tree.orgs),
        members=members,
        resumed_from_chunk=resumed_from,
        load_seconds=load_seconds,
        finish_seconds=time.perf_counter() - finish_started,
        total_seconds=time.perf_counter() - started,
    )
