"""The sync's bulk reads and writes, with a PostgreSQL path: what makes a 500,000-member province take
minutes (bench/sync_roundtrip_bench.py, docs/performance.md).

On PostgreSQL the staged rows and the baselines are written with ``COPY`` (the baselines through a
temporary table and one ``INSERT … ON CONFLICT``), and a batch's members are looked up by their keys in
one query whose key lists are three array parameters; elsewhere (SQLite) the same through the ORM. Table and
column names come from the models, never from input; values are always parameters or ``COPY`` data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

from partycard.partysync import fields as F
from partycard.partysync.models import SyncBaseline, SyncRow, SyncRun
from partycard.registry.models import Member, Organisation

__all__ = ["LOOKUP", "baselines_upsert", "lookup", "rows_insert"]

# What ``lookup`` answers per member: its keys, its cell's path, its normalised fields' sources, its baseline.
LOOKUP = ("id", "file_number", "citizen_id", "old_card_number", "organisation__path", *F.QUERY_FIELDS[1:])


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def lookup(file_numbers: set[str], citizen_ids: set[str], cards: set[str]) -> list[tuple[Any, ...]]:
    """The members holding any of these keys: ``LOOKUP``'s values, then the baseline's data (or None)."""
    if not (file_numbers or citizen_ids or cards):
        return []
    if _postgres():
        return _lookup_postgres(sorted(file_numbers), sorted(citizen_ids), sorted(cards))
    from django.db.models import Q

    where = Q(file_number__in=file_numbers) | Q(citizen_id__in=citizen_ids) | Q(old_card_number__in=cards)
    return list(Member.objects.filter(where).values_list(*LOOKUP, "sync_baseline__data"))


def _column(source: str) -> str:
    if source == "organisation__path":
        return "o.path"
    if source == "organisation__code":
        return "o.code"
    field: Any = Member._meta.get_field("ethnicity" if source == "ethnicity_id" else source)
    return f"m.{field.column}"


def _lookup_postgres(fns: list[str], cids: list[str], cards: list[str]) -> list[tuple[Any, ...]]:
    columns = ", ".join(_column(s) for s in LOOKUP)
    sql = (
        f"SELECT {columns}, b.data FROM {Member._meta.db_table} m "  # noqa: S608 - names from the models
        f"JOIN {Organisation._meta.db_table} o ON o.id = m.organisation_id "
        f"LEFT JOIN {SyncBaseline._meta.db_table} b ON b.member_id = m.id "
        "WHERE m.file_number = ANY(%s) OR m.citizen_id = ANY(%s) OR m.old_card_number = ANY(%s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [fns, cids, cards])
        rows = cursor.fetchall()
    return [(*row[:-1], json.loads(row[-1]) if isinstance(row[-1], str) else row[-1]) for row in rows]


_ROW_COLUMNS = (
    "run_id",
    "number",
    "kind",
    "member_id",
    "file_number",
    "citizen_id",
    "full_name",
    "changes",
    "problems",
    "data",
    "decisions",
)


def rows_insert(rows: Sequence[SyncRow]) -> None:
    """Insert staged rows (``COPY`` on PostgreSQL)."""
    if not rows:
        return
    if not _postgres():
        SyncRow.objects.bulk_create(rows, batch_size=1000)
        return

    def values(r: SyncRow) -> tuple[Any, ...]:
        return (
            r.run_id,
            r.number,
            r.kind,
            r.member_id,
            r.file_number,
            r.citizen_id,
            r.full_name,
            json.dumps(r.changes, ensure_ascii=False),
            json.dumps(r.problems, ensure_ascii=False),
            None if r.data is None else json.dumps(r.data, ensure_ascii=False),
            json.dumps(r.decisions, ensure_ascii=False),
        )

    _copy(SyncRow._meta.db_table, _ROW_COLUMNS, (values(r) for r in rows))


def _copy(table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: COPY
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def baselines_upsert(items: Iterable[tuple[int | None, Any]], *, run: SyncRun, at: Any) -> int:
    """Record ``(member id, data)`` as the members' baselines (replacing older ones); how many."""
    pairs = [(pk, data) for pk, data in items if pk is not None and data is not None]
    if not pairs:
        return 0
    if not _postgres():
        SyncBaseline.objects.bulk_create(
            [SyncBaseline(member_id=pk, data=data, synced_at=at, run=run) for pk, data in pairs],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["member"],
            update_fields=["data", "synced_at", "run"],
        )
        return len(pairs)
    table = SyncBaseline._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS partysync_baseline_load (member_id bigint, data jsonb) "
            "ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE partysync_baseline_load")
    _copy(
        "partysync_baseline_load",
        ("member_id", "data"),
        ((pk, json.dumps(d, ensure_ascii=False)) for pk, d in pairs),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (member_id, data, synced_at, run_id) "  # noqa: S608 - names from the models
            "SELECT DISTINCT ON (member_id) member_id, data, %s, %s FROM partysync_baseline_load "
            "ORDER BY member_id "
            "ON CONFLICT (member_id) DO UPDATE SET data = EXCLUDED.data, synced_at = EXCLUDED.synced_at, "
            "run_id = EXCLUDED.run_id",
            [at, run.pk],
        )
    return len(pairs)
