"""Keeping the member list's index (``SearchEntry``, ``NameWord``) in step with the members.

Every write that creates a member or changes what the list shows of it (name, cell, status, gender, date
of birth) calls :func:`search_index_refresh` in its transaction: the member services, the import. Bulk
loads (the seed's COPY, migration 0009) call :func:`search_index_rebuild`, which fills the index from the
member table in a few statements. :func:`search_index_move` follows an organisation moved to another
committee.

On PostgreSQL the entry table is partitioned by committee (the committees directly under the Centre,
plus a default partition for one created later), so that one index on (word, sort key) gives each
committee's rows in list order, and the Centre's by merging the partitions (docs/registry.md, "Search").
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from partycard.registry.names import name_sort_key, name_words

__all__ = [
    "ENTRY_TABLE",
    "WORD_TABLE",
    "committee_ids",
    "entry_rows",
    "search_index_move",
    "search_index_rebuild",
    "search_index_refresh",
]

ENTRY_TABLE = "registry_searchentry"
WORD_TABLE = "registry_nameword"
MEMBER_TABLE = "registry_member"
ORG_TABLE = "registry_organisation"
_COLUMNS = (
    "member_id",
    "word",
    "committee_id",
    "organisation_id",
    "sort_key",
    "words",
    "status",
    "gender",
    "date_of_birth",
)


def committee_ids(paths: Iterable[str], conn: BaseDatabaseWrapper | None = None) -> dict[str, int]:
    """For each organisation path, the id of the committee directly under the Centre above it (itself for
    a committee; the Centre for the Centre)."""
    conn = conn or default_connection
    tops = {path: ".".join(path.split(".")[:2]) + "." if path.count(".") > 1 else path for path in paths}
    wanted = sorted(set(tops.values()))
    if not wanted:
        return {}
    with conn.cursor() as cursor:
        marks = ", ".join(["%s"] * len(wanted))
        cursor.execute(f"SELECT path, id FROM {ORG_TABLE} WHERE path IN ({marks})", wanted)  # noqa: S608
        by_path = dict(cursor.fetchall())
    return {path: by_path[top] for path, top in tops.items() if top in by_path}


def entry_rows(
    member_id: int,
    full_name: str,
    committee_id: int,
    organisation_id: int,
    status: str,
    gender: str,
    date_of_birth: Any,
) -> list[tuple[Any, ...]]:
    """One member's entries, in ``_COLUMNS`` order: its own row (word "") and one per word of its name."""
    key = name_sort_key(full_name)
    words = name_words(full_name)
    text = " ".join(words)
    return [
        (member_id, word, committee_id, organisation_id, key, text, status, gender, date_of_birth)
        for word in ["", *words]
    ]


def search_index_refresh(*, member_ids: Iterable[int]) -> None:
    """Rewrite the entries of these members from their current rows (in the caller's transaction)."""
    from partycard.registry.models import Member, NameWord, SearchEntry

    ids = list(member_ids)
    if not ids:
        return
    members = list(
        Member.objects.filter(pk__in=ids)
        .select_related("organisation")
        .only("id", "full_name", "organisation__path", "status", "gender", "date_of_birth")
    )
    committees = committee_ids({m.organisation.path for m in members})
    SearchEntry.objects.filter(member_id__in=ids).delete()
    entries: list[SearchEntry] = []
    seen: set[str] = set()
    for m in members:
        for row in entry_rows(
            m.pk,
            m.full_name,
            committees[m.organisation.path],
            m.organisation_id,
            m.status,
            m.gender,
            m.date_of_birth,
        ):
            entries.append(SearchEntry(**dict(zip(_COLUMNS, row, strict=True))))
            seen.add(row[1])
    SearchEntry.objects.bulk_create(entries, batch_size=2000)
    seen.discard("")
    # A word new to the registry, so that a prefix finds it (``selectors.member_search``); its count is an
    # estimate for choosing a plan, brought up to date by the next rebuild.
    NameWord.objects.bulk_create([NameWord(word=w, members=1) for w in sorted(seen)], ignore_conflicts=True)


def search_index_move(*, path_prefix: str) -> int:
    """After the subtree at ``path_prefix`` moved: give its members' entries their new committee."""
    committees = committee_ids([path_prefix])
    if path_prefix not in committees:
        return 0
    with default_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ENTRY_TABLE} SET committee_id = %s WHERE committee_id <> %s AND organisation_id IN "  # noqa: S608
            f"(SELECT id FROM {ORG_TABLE} WHERE path LIKE %s)",
            [committees[path_prefix], committees[path_prefix], path_prefix + "%"],
        )
        return int(cursor.rowcount)


def search_index_rebuild(
    conn: BaseDatabaseWrapper | None = None, *, progress: Any = None
) -> dict[str, float]:
    """Fill the index from the member table (after a bulk load or in migration 0009); return timings.

    PostgreSQL: the sort keys and words are computed once per distinct full name (tens of thousands for
    millions of members), and one INSERT … SELECT writes every entry with the entry indexes dropped, which
    are then built once; then ``VACUUM (ANALYZE)`` (``ANALYZE`` inside a transaction, as in tests), without
    which every index-only read would visit the table. SQLite: in batches from Python.
    """
    conn = conn or default_connection
    say = progress or (lambda message: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if conn.vendor == "postgresql":
        _rebuild_postgresql(conn, say, timings)
    else:
        _rebuild_python(conn, timings)
    timings["total"] = time.perf_counter() - started
    return timings


def _lap(timings: dict[str, float], name: str, since: float) -> float:
    now = time.perf_counter()
    timings[name] = round(now - since, 2)
    return now


def _rebuild_postgresql(conn: BaseDatabaseWrapper, say: Any, timings: dict[str, float]) -> None:
    t = time.perf_counter()
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL max_parallel_maintenance_workers = 2")
        cursor.execute(
            'CREATE TEMP TABLE partycard_names (full_name varchar(100) COLLATE "C" PRIMARY KEY, '
            'sort_key bytea NOT NULL, words varchar(200) COLLATE "C" NOT NULL, members bigint NOT NULL) '
            "ON COMMIT DROP"
        )
        cursor.execute(f"SELECT full_name, count(*) FROM {MEMBER_TABLE} GROUP BY full_name")  # noqa: S608
        names = cursor.fetchall()
        with cursor.copy("COPY partycard_names (full_name, sort_key, words, members) FROM STDIN") as copy:
            for full_name, count in names:
                copy.write_row((full_name, name_sort_key(full_name), " ".join(name_words(full_name)), count))
        cursor.execute("ANALYZE partycard_names")
        t = _lap(timings, "names", t)
        say(f"{len(names)} distinct names")
        # One partition per committee directly under the Centre (level 1), and the Centre's own.
        cursor.execute(
            f"SELECT id FROM {ORG_TABLE} WHERE level <= 1 AND NOT EXISTS (SELECT 1 FROM pg_class "  # noqa: S608
            f"WHERE relname = '{ENTRY_TABLE}_' || {ORG_TABLE}.id)"
        )
        for (committee,) in cursor.fetchall():
            cursor.execute(
                f"CREATE TABLE {ENTRY_TABLE}_{int(committee)} PARTITION OF {ENTRY_TABLE} "
                f"FOR VALUES IN ({int(committee)})"
            )
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND schemaname = current_schema()",
            [ENTRY_TABLE],
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(f"TRUNCATE {ENTRY_TABLE}, {WORD_TABLE}")
        # The committee of every organisation: the first two segments of its path name it.
        cursor.execute(
            "CREATE TEMP TABLE partycard_committees ON COMMIT DROP AS "
            f"SELECT o.id, c.id AS committee FROM {ORG_TABLE} o JOIN {ORG_TABLE} c "
            "ON c.path = CASE WHEN o.level = 0 THEN o.path "
            "ELSE split_part(o.path, '.', 1) || '.' || split_part(o.path, '.', 2) || '.' END"
        )
        cursor.execute("ALTER TABLE partycard_committees ADD PRIMARY KEY (id)")
        cursor.execute("ANALYZE partycard_committees")
        t = _lap(timings, "prepare", t)
        cols = ", ".join(_COLUMNS)
        cursor.execute(
            f"INSERT INTO {ENTRY_TABLE} ({cols}) "  # noqa: S608
            "SELECT m.id, w.word, c.committee, m.organisation_id, n.sort_key, n.words, m.status, m.gender, "
            f"m.date_of_birth FROM {MEMBER_TABLE} m "
            "JOIN partycard_names n ON n.full_name = m.full_name "
            "JOIN partycard_committees c ON c.id = m.organisation_id "
            "CROSS JOIN LATERAL unnest('{\"\"}'::text[] || string_to_array(n.words, ' ')) AS w(word)"
        )
        say(f"{cursor.rowcount} entries")
        cursor.execute(
            f"INSERT INTO {WORD_TABLE} (word, members) SELECT w.word, sum(n.members) "  # noqa: S608
            "FROM partycard_names n CROSS JOIN LATERAL unnest(string_to_array(n.words, ' ')) AS w(word) "
            "GROUP BY w.word"
        )
        t = _lap(timings, "insert", t)
        for name, sql in indexes:
            cursor.execute(sql)
            t = _lap(timings, f"index {name}", t)
    verb = "ANALYZE" if conn.in_atomic_block else "VACUUM (ANALYZE)"
    with conn.cursor() as cursor:
        cursor.execute(f"{verb} {ENTRY_TABLE}")
        cursor.execute(f"{verb} {WORD_TABLE}")
    _lap(timings, "vacuum", t)


def _rebuild_python(conn: BaseDatabaseWrapper, timings: dict[str, float]) -> None:
    t = time.perf_counter()
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ENTRY_TABLE}")  # noqa: S608
        cursor.execute(f"DELETE FROM {WORD_TABLE}")  # noqa: S608
        cursor.execute(f"SELECT id, path FROM {ORG_TABLE}")  # noqa: S608
        org_paths = dict(cursor.fetchall())
        committees = committee_ids(set(org_paths.values()), conn)
        cursor.execute(
            f"SELECT id, full_name, organisation_id, status, gender, date_of_birth FROM {MEMBER_TABLE}"  # noqa: S608
        )
        counts: dict[str, int] = {}
        marks = ", ".join(["%s"] * len(_COLUMNS))
        insert = f"INSERT INTO {ENTRY_TABLE} ({', '.join(_COLUMNS)}) VALUES ({marks})"
        with conn.cursor() as writer:
            while batch := cursor.fetchmany(5000):
                rows: list[tuple[Any, ...]] = []
                for member_id, full_name, org_id, status, gender, born in batch:
                    member_rows = entry_rows(
                        member_id, full_name, committees[org_paths[org_id]], org_id, status, gender, born
                    )
                    rows.extend(member_rows)
                    for row in member_rows[1:]:
                        counts[row[1]] = counts.get(row[1], 0) + 1
                writer.executemany(insert, rows)
            writer.executemany(
                f"INSERT INTO {WORD_TABLE} (word, members) VALUES (%s, %s)",  # noqa: S608
                sorted(counts.items()),
            )
    _lap(timings, "insert", t)
