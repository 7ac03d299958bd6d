"""Keeping the member list's index (``SearchEntry``, ``NameWord``) in step with the members.

Every write that creates a member or changes what the list shows of it (name, cell, status, gender, date
of birth) calls :func:`search_index_refresh` in its transaction: the member services, the import. Bulk
loads (the seed's COPY, migration 0009) call :func:`search_index_rebuild`, which fills the index from the
member table in a few statements. :func:`search_index_move` follows an organisation moved to another
committee.

A member has an entry for itself (word ""), one per word of its name, and one per pair of its name's
*paired* words: the words more than ``PAIR_MIN_MEMBERS`` members' names hold (family names such as
Nguyễn, middle names such as Văn and Thị). A search for two such words ("nguyen thi", "le pham") reads the
pair's entries, which are exactly its matches, instead of walking a million "nguyen" entries for the few
that also hold the other word. Which words are paired is decided by a rebuild and kept in ``NameWord``
until the next, so every member's entries agree with it.

On PostgreSQL the entry table is partitioned by committee (the committees directly under the Centre,
plus a default partition for one created later), so that one index on (word, sort key) gives each
committee's rows in list order, and the Centre's by merging the partitions (docs/registry.md, "Search").
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from itertools import combinations
from typing import Any

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from partycard.registry.names import name_sort_key, name_words

__all__ = [
    "ENTRY_TABLE",
    "PAIR_MIN_MEMBERS",
    "WORD_TABLE",
    "committee_ids",
    "entry_words",
    "pair_term",
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

# A word more members' names hold than this gets pair entries. The bound on a search's work: a word below
# it is read whole in at most this many entries (~0.1 s at 5.6 M members; docs/performance.md).
PAIR_MIN_MEMBERS = 100_000


def pair_term(a: str, b: str) -> str:
    """The entry word of a pair of words: " a b" in order; the leading space keeps pairs out of the
    ranges of single words."""
    return " " + " ".join(sorted((a, b)))


def entry_words(words: list[str], paired: Collection[str]) -> list[str]:
    """The entry words of a name with these (folded, distinct) words: "", each word, each paired pair."""
    pairs = [pair_term(a, b) for a, b in combinations([w for w in words if w in paired], 2)]
    return ["", *words, *pairs]


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
    paired = set(NameWord.objects.filter(paired=True).values_list("word", flat=True))
    SearchEntry.objects.filter(member_id__in=ids).delete()
    entries: list[SearchEntry] = []
    seen: set[str] = set()
    for m in members:
        words = name_words(m.full_name)
        key, text = name_sort_key(m.full_name), " ".join(words)
        for word in entry_words(words, paired):
            entries.append(
                SearchEntry(
                    member_id=m.pk,
                    word=word,
                    committee_id=committees[m.organisation.path],
                    organisation_id=m.organisation_id,
                    sort_key=key,
                    words=text,
                    status=m.status,
                    gender=m.gender,
                    date_of_birth=m.date_of_birth,
                )
            )
            seen.add(word)
    SearchEntry.objects.bulk_create(entries, batch_size=2000)
    seen.discard("")
    # A word new to the registry, so that a prefix finds it (``selectors.member_search``); the counts are
    # estimates for choosing a plan, brought up to date by the next rebuild.
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
    conn: BaseDatabaseWrapper | None = None,
    *,
    pair_min_members: int = PAIR_MIN_MEMBERS,
    progress: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """Fill the index from the member table (after a bulk load, in migration 0009); return timings.

    The sort keys and entry words are computed once per distinct full name (tens of thousands for millions
    of members). PostgreSQL: one INSERT … SELECT writes every entry with the entry indexes dropped, which
    are then built once, then ``VACUUM (ANALYZE)`` (``ANALYZE`` inside a transaction, as in tests), without
    which every index-only read would visit the table. SQLite: in batches.
    """
    conn = conn or default_connection
    say = progress or (lambda message: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT full_name, count(*) FROM {MEMBER_TABLE} GROUP BY full_name")  # noqa: S608
        names = [(full_name, int(n)) for full_name, n in cursor.fetchall()]
    counts: Counter[str] = Counter()
    words_of = {}
    for full_name, n in names:
        words = name_words(full_name)
        words_of[full_name] = words
        for word in words:
            counts[word] += n
    paired = {w for w, n in counts.items() if n >= pair_min_members}
    terms_of = {full_name: entry_words(words, paired) for full_name, words in words_of.items()}
    for full_name, n in names:
        for term in terms_of[full_name][1 + len(words_of[full_name]) :]:
            counts[term] += n
    say(f"{len(names)} distinct names, {len(paired)} paired words")
    timings["names"] = round(time.perf_counter() - started, 2)
    with transaction.atomic(using=conn.alias):
        if conn.vendor == "postgresql":
            _rebuild_postgresql(conn, names, words_of, terms_of, say, timings)
        else:
            _rebuild_python(conn, words_of, terms_of, timings)
        with conn.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {WORD_TABLE} (word, members, paired) VALUES (%s, %s, %s)",  # noqa: S608
                [(w, min(n, 2**31 - 1), w in paired) for w, n in sorted(counts.items())],
            )
    if conn.vendor == "postgresql":
        t = time.perf_counter()
        verb = "ANALYZE" if conn.in_atomic_block else "VACUUM (ANALYZE)"
        with conn.cursor() as cursor:
            cursor.execute(f"{verb} {ENTRY_TABLE}")
            cursor.execute(f"{verb} {WORD_TABLE}")
        _lap(timings, "vacuum", t)
    timings["total"] = round(time.perf_counter() - started, 2)
    return timings


def _lap(timings: dict[str, float], name: str, since: float) -> float:
    now = time.perf_counter()
    timings[name] = round(now - since, 2)
    return now


def _rebuild_postgresql(
    conn: BaseDatabaseWrapper,
    names: list[tuple[str, int]],
    words_of: dict[str, list[str]],
    terms_of: dict[str, list[str]],
    say: Callable[[str], None],
    timings: dict[str, float],
) -> None:
    t = time.perf_counter()
    with conn.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL max_parallel_maintenance_workers = 2")
        cursor.execute(
            "CREATE TEMP TABLE partycard_names (full_name varchar(100) PRIMARY KEY, sort_key bytea NOT NULL, "
            'words varchar(200) COLLATE "C" NOT NULL, terms text[] NOT NULL) ON COMMIT DROP'
        )
        with cursor.copy("COPY partycard_names (full_name, sort_key, words, terms) FROM STDIN") as copy:
            for full_name, _n in names:
                copy.write_row(
                    (full_name, name_sort_key(full_name), " ".join(words_of[full_name]), terms_of[full_name])
                )
        cursor.execute("ANALYZE partycard_names")
        # Emptied first: a committee's partition cannot be created while the default one holds its rows.
        cursor.execute(f"TRUNCATE {ENTRY_TABLE}, {WORD_TABLE}")
        # One partition per committee directly under the Centre (level 1), and the Centre's own.
        cursor.execute(
            f"SELECT id FROM {ORG_TABLE} o WHERE level <= 1 AND NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM pg_class WHERE relname = '{ENTRY_TABLE}_' || o.id)"
        )
        for (committee,) in cursor.fetchall():
            cursor.execute(
                f"CREATE TABLE {ENTRY_TABLE}_{int(committee)} PARTITION OF {ENTRY_TABLE} "
                f"FOR VALUES IN ({int(committee)})"
            )
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = %s AND schemaname = current_schema()",
            [ENTRY_TABLE],
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        # The committee of every organisation: the first two segments of its path name it.
        cursor.execute(
            "CREATE TEMP TABLE partycard_committees ON COMMIT DROP AS SELECT o.id, c.id AS committee "  # noqa: S608
            f"FROM {ORG_TABLE} o JOIN {ORG_TABLE} c ON c.path = CASE WHEN o.level = 0 THEN o.path "
            "ELSE split_part(o.path, '.', 1) || '.' || split_part(o.path, '.', 2) || '.' END"
        )
        cursor.execute("ALTER TABLE partycard_committees ADD PRIMARY KEY (id)")
        cursor.execute("ANALYZE partycard_committees")
        t = _lap(timings, "prepare", t)
        cursor.execute(
            f"INSERT INTO {ENTRY_TABLE} ({', '.join(_COLUMNS)}) "  # noqa: S608
            "SELECT m.id, w.word, c.committee, m.organisation_id, n.sort_key, n.words, m.status, m.gender, "
            f"m.date_of_birth FROM {MEMBER_TABLE} m "
            "JOIN partycard_names n ON n.full_name = m.full_name "
            "JOIN partycard_committees c ON c.id = m.organisation_id "
            "CROSS JOIN LATERAL unnest(n.terms) AS w(word)"
        )
        say(f"{cursor.rowcount} entries")
        t = _lap(timings, "insert", t)
        for name, sql in indexes:
            # pg_indexes shows a partitioned table's index as "ON ONLY …", which would leave the partitions
            # without theirs: build it on every partition.
            cursor.execute(sql.replace(" ON ONLY ", " ON ", 1))
            t = _lap(timings, f"index {name}", t)


def _rebuild_python(
    conn: BaseDatabaseWrapper,
    words_of: dict[str, list[str]],
    terms_of: dict[str, list[str]],
    timings: dict[str, float],
) -> None:
    t = time.perf_counter()
    with conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ENTRY_TABLE}")  # noqa: S608
        cursor.execute(f"DELETE FROM {WORD_TABLE}")  # noqa: S608
        cursor.execute(f"SELECT id, path FROM {ORG_TABLE}")  # noqa: S608
        org_paths = dict(cursor.fetchall())
        committees = committee_ids(set(org_paths.values()), conn)
        cursor.execute(
            f"SELECT id, full_name, organisation_id, status, gender, date_of_birth FROM {MEMBER_TABLE}"  # noqa: S608
        )
        insert = (
            f"INSERT INTO {ENTRY_TABLE} ({', '.join(_COLUMNS)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
        )
        with conn.cursor() as writer:
            while batch := cursor.fetchmany(5000):
                rows: list[tuple[Any, ...]] = []
                for member_id, full_name, org_id, status, gender, born in batch:
                    key, text = name_sort_key(full_name), " ".join(words_of[full_name])
                    committee = committees[org_paths[org_id]]
                    rows.extend(
                        (member_id, term, committee, org_id, key, text, status, gender, born)
                        for term in terms_of[full_name]
                    )
                writer.executemany(insert, rows)
    _lap(timings, "insert", t)
