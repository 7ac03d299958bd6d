"""Reads of the registry. Every read starts from an organisation subtree (a path prefix).

The access issue puts the user → scope step in front of these (``scoped(actor, action)``); until then the
web views pass the user's own organisation as the root.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, Exists, Func, OuterRef, Q, QuerySet, Sum
from django.db.models.expressions import Combinable

from partycard.accounts.roles import Action
from partycard.core import clock
from partycard.core.scope import scope_path
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Member, NameWord, Organisation, SearchEntry
from partycard.registry.models.organisation import PATH_SEPARATOR
from partycard.registry.names import name_words, query_words
from partycard.registry.search_index import committee_ids, pair_term

__all__ = [
    "AGE_BANDS",
    "COUNT_CAP",
    "Cursor",
    "FieldChange",
    "LevelCount",
    "MemberFilters",
    "MemberPage",
    "TimelineEntry",
    "TreeNode",
    "committee_level_counts",
    "commune_paths_below",
    "decode_cursor",
    "encode_cursor",
    "issuing_committee_name",
    "level_counts",
    "member_list",
    "member_page",
    "member_search",
    "member_timeline",
    "organisation_children",
    "organisation_children_page",
    "organisation_subtree",
    "scope_root",
    "subtree_member_count",
]


@dataclass(frozen=True)
class LevelCount:
    level: int
    organisations: int
    members: int

    @property
    def label(self) -> str:
        return str(OrgLevel(self.level).label)


def commune_paths_below(org: Organisation) -> list[str]:
    """The paths of the commune-level committees strictly inside ``org``'s subtree.

    None below a province's commune; in the Army and Public Security a commune-level committee (a military
    region) may hold others (``choices.ALLOWED_CHILDREN``), and the committee directly above a grassroots
    organisation is its *nearest* commune-level ancestor: a cell under one of these paths belongs to that
    nearer committee, not to ``org``.
    """
    return list(
        Organisation.objects.filter(level=OrgLevel.COMMUNE, path__startswith=org.path)
        .exclude(pk=org.pk)
        .order_by("path")
        .values_list("path", flat=True)
    )


def scope_root(actor: Any, action: str) -> Organisation | None:
    """The top of the subtree ``actor`` may use for ``action`` (their organisation; the Centre for a
    central administrator without one), or None (no such right, or a member who sees only their record)."""
    path = scope_path(actor)
    if path is None:
        return None
    visible = Organisation.objects.scoped(actor, action)
    return visible.filter(path=path).first() if path else visible.filter(parent__isnull=True).first()


def organisation_subtree(root: Organisation) -> QuerySet[Organisation]:
    """``root`` and everything under it (a prefix range on the indexed path)."""
    return Organisation.objects.filter(path__startswith=root.path)


def subtree_member_count(root: Organisation) -> int:
    """Probationary and official members in ``root``'s subtree, from the per-organisation counters."""
    total = organisation_subtree(root).aggregate(n=Sum("member_count"))["n"]
    return int(total or 0)


def level_counts(root: Organisation) -> list[LevelCount]:
    """For each level under ``root`` (itself included): how many organisations and members there are."""
    rows = (
        organisation_subtree(root)
        .order_by()
        .values("level")
        .annotate(orgs=Count("id"), member_total=Sum("member_count"))
        .order_by("level")
    )
    return [LevelCount(r["level"], r["orgs"], int(r["member_total"] or 0)) for r in rows]


class CommitteeCode(Func):
    """The second path segment: the code of the committee directly under the Centre (``PathSegment(path,
    2)`` on PostgreSQL; SQLite, which has no split_part, gets its own template)."""

    def __init__(self, expression: Combinable | str) -> None:
        from django.db.models import CharField

        super().__init__(expression, output_field=CharField())

    def as_postgresql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        return PathSegment(*self.get_source_expressions(), 2).as_sql(compiler, connection, **extra)

    def as_sqlite(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        # rest = the path after "TW."; the committee code is rest up to its first dot.
        rest = "substr(%(expressions)s, instr(%(expressions)s, '.') + 1)"
        template = f"substr({rest}, 1, instr({rest}, '.') - 1)"
        return self.as_sql(compiler, connection, template=template, **extra)


def committee_level_counts() -> dict[str, list[LevelCount]]:
    """For every committee directly under the Centre: organisations and members at each level below it.

    One grouped scan of the organisation table (about 310,000 rows nationally), not one query per committee.
    """
    rows = (
        Organisation.objects.exclude(level=OrgLevel.CENTRE)
        .annotate(committee=CommitteeCode("path"))
        .order_by()
        .values("committee", "level")
        .annotate(orgs=Count("id"), member_total=Sum("member_count"))
    )
    result: dict[str, list[LevelCount]] = {}
    for r in rows:
        result.setdefault(r["committee"], []).append(
            LevelCount(r["level"], r["orgs"], int(r["member_total"] or 0))
        )
    for counts in result.values():
        counts.sort(key=lambda c: c.level)
    return result


# Age bands offered by the member list (inclusive, in whole years; None = no upper bound).
AGE_BANDS: dict[str, tuple[int, int | None]] = {
    "18-30": (18, 30),
    "31-45": (31, 45),
    "46-60": (46, 60),
    "61-75": (61, 75),
    "76+": (76, None),
}

# The result count is exact up to this many members; above, the list says "more than 10.000" (counting a
# broad search exactly would cost seconds at national scale, and nobody pages through 200 pages).
COUNT_CAP = 10_000
# A word of the query that begins more registry words than this ("h", "th") is only checked on each
# candidate, never read through its own entries: it is short, so common, and each word it begins would be
# one more index range to merge.
_MAX_TERMS = 6
# At most this many entry words are merged for one search (each is one index range per committee).
_MAX_ARMS = 8


@dataclass(frozen=True)
class MemberFilters:
    """What the member list is narrowed to, besides the actor's scope. Empty values mean "any"."""

    q: str = ""
    organisation: Organisation | None = None  # a sub-subtree, already checked to be inside the scope
    status: str = ""
    gender: str = ""
    age_band: str = ""  # a key of AGE_BANDS

    def member_q(self, today: dt.date) -> Q:
        """The filters on the member row itself (status, gender, date of birth for the age band)."""
        cond = Q()
        if self.status:
            cond &= Q(status=self.status)
        if self.gender:
            cond &= Q(gender=self.gender)
        low, high = self.born_between(today)
        if low is not None:
            cond &= Q(date_of_birth__gt=low)
        if high is not None:
            cond &= Q(date_of_birth__lte=high)
        return cond

    def born_between(self, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
        """The age band as dates of birth: (born after, born on or before); None where open."""
        if not self.age_band:
            return None, None
        low, high = AGE_BANDS[self.age_band]
        # older than high+1 years is out: born after (today - (high+1) years)
        return (_years_before(today, high + 1) if high is not None else None), _years_before(today, low)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# Where a list continues: the sort key and id of the last member shown (``names.name_sort_key``).
Cursor = tuple[bytes, int]


@dataclass
class MemberPage:
    """One page of the member list, with how many members match (exact up to ``COUNT_CAP``)."""

    members: list[Member]
    count: int  # min(matches, COUNT_CAP + 1)
    page: int
    per_page: int

    @property
    def capped(self) -> bool:
        """More than ``COUNT_CAP`` match: the count shown is "more than COUNT_CAP"."""
        return self.count > COUNT_CAP

    @property
    def pages(self) -> int:
        """Pages that page numbers reach (the count's pages; beyond the cap, "next" goes on)."""
        return max(1, -(-min(self.count, COUNT_CAP) // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.count


def encode_cursor(member: Member) -> str:
    """An opaque "continue after this member" token (URL-safe): its id; its place in the list is looked up
    again when the token comes back, so the token stays short whatever the name."""
    return base64.urlsafe_b64encode(str(member.pk).encode()).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor | None:
    """The list position a token stands for, or None if it is not one of ours (or its member is gone)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    if not raw.isdigit() or len(raw) > 18:
        return None
    found = SearchEntry.objects.filter(member_id=int(raw), word="").values_list("sort_key", flat=True).first()
    return None if found is None else (bytes(found), int(raw))


def member_list(
    actor: Any, filters: MemberFilters, *, after: Cursor | None = None, limit: int = 50
) -> list[Member]:
    """One page of the members ``actor`` may see, narrowed by ``filters``, in list order, continuing after
    the cursor (keyset: any page costs what the first costs). The API's list."""
    root = _list_root(actor, filters)
    if root is None:
        return _own_record(actor, filters)[:limit]
    if root is False:
        return []
    return member_search(root, filters.q, limit=limit, after=after, filters=filters)


def member_page(actor: Any, filters: MemberFilters, *, page: int = 1, per_page: int = 50) -> MemberPage:
    """Page ``page`` (1-based) of the members ``actor`` may see, narrowed by ``filters``, in list order,
    with the number of matches (exact up to ``COUNT_CAP``). The web list."""
    root = _list_root(actor, filters)
    if root is None:
        own = _own_record(actor, filters)
        return MemberPage(own if page == 1 else [], len(own), page, per_page)
    if root is False:
        return MemberPage([], 0, page, per_page)
    hits, count = _member_hits(
        root, query_words(filters.q), filters, offset=(page - 1) * per_page, limit=per_page, count=True
    )
    return MemberPage(_members(hits), count or 0, page, per_page)


def _list_root(actor: Any, filters: MemberFilters) -> Organisation | Literal[False] | None:
    """The subtree the list reads: the actor's scope, narrowed to ``filters.organisation``; None for an
    actor who sees only their own record; False for an organisation outside the scope."""
    root = scope_root(actor, Action.SEARCH_MEMBER)
    if root is None:
        return None
    if filters.organisation is not None:
        if not filters.organisation.path.startswith(root.path):
            return False
        return filters.organisation
    return root


def _own_record(actor: Any, filters: MemberFilters) -> list[Member]:
    """A member (own-record scope): their record, if it matches."""
    own = Member.objects.scoped(actor, Action.VIEW_MEMBER).select_related("organisation__parent")
    words = query_words(filters.q)
    return [
        m
        for m in own.filter(filters.member_q(clock.today()))
        if all(any(n.startswith(w) for n in name_words(m.full_name)) for w in words)
    ]


def member_search(
    root: Organisation,
    query: str,
    *,
    limit: int = 50,
    offset: int = 0,
    after: Cursor | None = None,
    filters: MemberFilters | None = None,
) -> list[Member]:
    """Members in ``root``'s subtree whose name holds every word of ``query`` at the start of one of its
    words, accents and case ignored ("le hung" finds Lê Văn Hùng; "hu" finds Hùng, Hưng, Huy), in list
    order (``names.name_sort_key``: given name, family name, middle names; then id); ``filters`` narrows
    further (status, gender, age band). ``after`` continues after a cursor, ``offset`` skips rows."""
    hits, _count = _member_hits(
        root, query_words(query), filters or MemberFilters(), offset=offset, limit=limit, after=after
    )
    return _members(hits)


def _members(hits: list[tuple[int, bytes]]) -> list[Member]:
    """The members of a page, in the page's order, each with its organisation and that one's parent (the
    list shows "Chi bộ thôn 4 — Đảng ủy xã …": two cells of one name are told apart by their parent)."""
    by_id = Member.objects.select_related("organisation__parent").in_bulk([pk for pk, _key in hits])
    page = []
    for pk, key in hits:
        member = by_id.get(pk)
        if member is not None:
            member.list_key = key  # type: ignore[attr-defined]
            page.append(member)
    return page


def _member_hits(
    root: Organisation,
    words: list[str],
    filters: MemberFilters,
    *,
    offset: int = 0,
    limit: int = 50,
    after: Cursor | None = None,
    count: bool = False,
) -> tuple[list[tuple[int, bytes]], int | None]:
    """(member id, sort key) of one page of the matches in ``root``'s subtree, and, if ``count``, how many
    match (exact up to ``COUNT_CAP``, else ``COUNT_CAP + 1``).

    The list's index (``SearchEntry``) holds a row per member and word of its name, in list order within
    each committee directly under the Centre (on PostgreSQL, a partition each):

    * in a committee or at the Centre, the page is read from the entries of one word of the query, the one
      fewest names hold (the *driver*, estimated from ``NameWord``), in list order, the other words and the
      filters tested on each entry from the index alone; a word that several registry words begin ("hu")
      merges their ranges. With no usable word, the members' own rows (word "") are read. The Centre
      merges the committees' partitions. The cost is the entries read until the page (or the count's cap)
      is full: about (offset + limit) ÷ the share of the driver's entries that match;
    * below a committee (a commune, a unit, a cell: at most tens of thousands of members), the members'
      own rows of the subtree's cells are read and sorted.

    The count reads on to ``COUNT_CAP + 1`` matches in the same statement.
    """
    conn = connections[SearchEntry.objects.db]
    postgres = conn.vendor == "postgresql"
    where, params = _entry_filters(filters)
    if root.level == OrgLevel.CENTRE:
        committee: int | None = None
    elif root.level == OrgLevel.CENTRAL_COMMITTEE:
        committee = root.pk
    else:  # below a committee: its cells' own rows
        committee = committee_ids([root.path]).get(root.path, -1)
        orgs = Organisation._meta.db_table
        where.append(f"organisation_id IN (SELECT id FROM {orgs} WHERE path LIKE %s)")  # noqa: S608
        params.append(conn.ops.prep_for_like_query(root.path) + "%")
    if committee is not None:
        where.insert(0, "committee_id = %s")  # on PostgreSQL, one partition
        params.insert(0, committee)
    driver, others = [""], list(words)
    if words and postgres and root.level <= OrgLevel.CENTRAL_COMMITTEE:
        plan = _plan(words)
        if plan is None:
            return [], (0 if count else None)  # nothing in the registry can match
        driver, others = plan
    for word in others:  # [a-z0-9]+ (names.query_words): nothing to escape in the pattern
        where.append("(' ' || words) LIKE %s")
        params.append(f"% {word}%")
    if after is not None:
        where.append("(sort_key, member_id) > (%s, %s)")
        params.extend(after)
    condition = " AND ".join(where) or "1 = 1"

    def matches(rows: int) -> tuple[str, list[Any]]:
        """The first ``rows`` matches in list order, as (sort_key, member_id)."""
        arms = [
            f"SELECT sort_key, member_id FROM {SearchEntry._meta.db_table} "  # noqa: S608
            f"WHERE word = %s AND {condition} ORDER BY sort_key, member_id LIMIT %s"
            for _term in driver
        ]
        arm_params = [v for term in driver for v in (term, *params, rows)]
        if len(arms) == 1:
            return arms[0], arm_params
        # One member may hold two words that the query's word begins: once each.
        union = " UNION ALL ".join(f"({arm})" for arm in arms)
        return (
            f"SELECT DISTINCT ON (sort_key, member_id) sort_key, member_id FROM ({union}) u "  # noqa: S608
            "ORDER BY sort_key, member_id LIMIT %s",
            [*arm_params, rows],
        )

    cap = COUNT_CAP + 1
    # PostgreSQL: the planner cannot estimate the word tests (a LIKE on an expression: it guesses a few
    # rows), so it would fetch every entry of the driver and sort them (0.4 s at the Centre for "nguyen
    # thi"). The walk in index order is the plan (below a committee, the subtree's rows are sorted: they are
    # few). JIT compilation costs ~130 ms a statement and parallel workers start slower than the walk ends.
    planner = {"jit": "off", "max_parallel_workers_per_gather": "0"}
    if root.level <= OrgLevel.CENTRAL_COMMITTEE:
        planner["enable_sort"] = "off"
    with _planner_settings(conn, **planner) if postgres else nullcontext(), conn.cursor() as cursor:
        if count and postgres and offset + limit <= cap:
            # The count's walk also holds the page: one pass, one statement.
            sql, sql_params = matches(cap)
            cursor.execute(
                f"WITH hits AS MATERIALIZED ({sql}) SELECT c.n, p.member_id, p.sort_key "  # noqa: S608
                "FROM (SELECT count(*) AS n FROM hits) c LEFT JOIN LATERAL (SELECT member_id, sort_key "
                "FROM hits ORDER BY sort_key, member_id LIMIT %s OFFSET %s) p ON TRUE",
                [*sql_params, limit, offset],
            )
            rows = cursor.fetchall()
            hits = [(pk, bytes(key)) for _n, pk, key in rows if pk is not None]
            return hits, int(rows[0][0])
        total = None
        if count:
            sql, sql_params = matches(cap)
            cursor.execute(f"SELECT count(*) FROM ({sql}) c", sql_params)  # noqa: S608
            total = int(cursor.fetchone()[0])
        sql, sql_params = matches(offset + limit)
        cursor.execute(
            f"SELECT member_id, sort_key FROM ({sql}) p ORDER BY sort_key, member_id LIMIT %s OFFSET %s",  # noqa: S608
            [*sql_params, limit, offset],
        )
        return [(pk, bytes(key)) for pk, key in cursor.fetchall()], total


def _entry_filters(filters: MemberFilters) -> tuple[list[str], list[Any]]:
    """The list's filters (status, gender, age band) as conditions on the entries' copies of them."""
    where: list[str] = []
    params: list[Any] = []
    if filters.status:
        where.append("status = %s")
        params.append(filters.status)
    if filters.gender:
        where.append("gender = %s")
        params.append(filters.gender)
    born_after, born_by = filters.born_between(clock.today())
    if born_after is not None:
        where.append("date_of_birth > %s")
        params.append(born_after)
    if born_by is not None:
        where.append("date_of_birth <= %s")
        params.append(born_by)
    return where, params


@dataclass(frozen=True)
class _Term:
    word: str
    members: int
    paired: bool


def _plan(words: list[str]) -> tuple[list[str], list[str]] | None:
    """Which entries a search reads (the *driver*: one or more entry words, merged) and which query words
    it tests on each, or None when nothing can match (a word that begins no registry word).

    The candidates: each query word, read through the registry words it begins; each pair of query words,
    read through the pair entries of their paired words and the plain entries of the others. The one with
    the fewest entries (``NameWord`` estimates) wins: its entries are the most likely to be matches, so
    the page and the count fill soonest. A word that begins too many registry words ("h") is only tested.
    """
    terms = {
        w: [
            _Term(*row)
            for row in NameWord.objects.filter(word__startswith=w)
            .order_by("word")
            .values_list("word", "members", "paired")[: _MAX_TERMS + 1]
        ]
        for w in words
    }
    if not all(terms.values()):
        return None
    usable = {w: t for w, t in terms.items() if len(t) <= _MAX_TERMS}
    candidates: list[tuple[int, list[str], list[str]]] = [
        (sum(t.members for t in found), [t.word for t in found], [o for o in words if o != w])
        for w, found in usable.items()
    ]
    # Two query words cannot begin the same registry word (neither begins the other: names.query_words).
    wanted = {
        pair_term(a.word, b.word)
        for w1, w2 in combinations(usable, 2)
        for a in usable[w1]
        for b in usable[w2]
        if a.paired and b.paired
    }
    held = dict(NameWord.objects.filter(word__in=wanted).values_list("word", "members")) if wanted else {}
    for w1, w2 in combinations(usable, 2):
        plain = [t for t in usable[w1] + usable[w2] if not t.paired]
        pairs = [
            pair_term(a.word, b.word)
            for a in usable[w1]
            for b in usable[w2]
            if a.paired and b.paired and pair_term(a.word, b.word) in held  # a pair nobody holds: no entries
        ]
        if len(plain) + len(pairs) <= _MAX_ARMS:
            cost = sum(t.members for t in plain) + sum(held[p] for p in pairs)
            candidates.append((cost, [t.word for t in plain] + pairs, list(words)))
    if not candidates:
        return [""], list(words)
    _cost, driver, tested = min(candidates, key=lambda c: c[0])
    return (driver, tested) if driver else None


@contextmanager
def _planner_settings(conn: BaseDatabaseWrapper, **settings: str) -> Iterator[None]:
    """Planner settings for the statements inside, restored after (also inside a caller's transaction).

    On an error the atomic block rolls back, and the rollback undoes the settings with it.
    """
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        previous = {}
        for name, value in settings.items():
            cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
            previous[name] = cursor.fetchone()[0]
        yield
        for name, value in previous.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def organisation_children_page(
    actor: Any, parent: Organisation, *, after: str | None = None, limit: int = 50
) -> list[Organisation]:
    """One page of ``parent``'s children that ``actor`` may view, in code order (keyset on the code)."""
    qs = Organisation.objects.scoped(actor, Action.VIEW_ORGANISATION).filter(parent=parent)
    if after is not None:
        qs = qs.filter(code__gt=after)
    return list(qs.select_related("parent").order_by("code")[:limit])


@dataclass(frozen=True)
class TreeNode:
    organisation: Organisation
    members: int  # probationary and official members in its subtree
    has_children: bool


def organisation_children(parent: Organisation) -> list[TreeNode]:
    """The organisations directly under ``parent``, each with its subtree's member total and whether it
    has children of its own, in code order.

    The totals come from the commune-level committees' kept subtree totals (``subtree_members``): a
    commune-level child's is its own; a committee's (a child of the Centre) is the sum over the commune-level
    committees directly under it (about 3,300 rows for the whole country, not its 300,000 organisations).
    Only the children of a commune-level committee or below (grassroots organisations, cells) are summed
    from their cells, in one grouped pass over that small subtree.
    """
    below = Organisation.objects.filter(parent=OuterRef("pk"))
    children = list(
        Organisation.objects.filter(parent=parent).annotate(has_children=Exists(below)).order_by("code")
    )
    if not children:
        return []
    totals: dict[int, int] = {c.pk: c.subtree_members for c in children if c.level == OrgLevel.COMMUNE}
    committees = [c.pk for c in children if c.level == OrgLevel.CENTRAL_COMMITTEE]
    if committees:
        rows = (
            Organisation.objects.filter(parent_id__in=committees, level=OrgLevel.COMMUNE)
            .order_by()
            .values("parent_id")
            .annotate(n=Sum("subtree_members"))
        )
        totals.update({r["parent_id"]: int(r["n"] or 0) for r in rows})
    rest = [
        c
        for c in children
        if c.pk not in totals and c.level not in (OrgLevel.COMMUNE, OrgLevel.CENTRAL_COMMITTEE)
    ]
    if rest:
        totals.update(_summed_from_cells(parent, rest))
    return [TreeNode(c, totals.get(c.pk, 0), c.has_children) for c in children]


def _summed_from_cells(parent: Organisation, children: Sequence[Organisation]) -> dict[int, int]:
    """Each child's subtree total, summed from the counters of the organisations under ``parent`` (a
    commune-level committee or lower: a small subtree)."""
    depth = parent.path.count(PATH_SEPARATOR) + 1  # the child's code is this 1-based segment of a path
    by_code = {c.code: c.pk for c in children}
    totals = dict.fromkeys(by_code.values(), 0)
    below = Organisation.objects.filter(path__startswith=parent.path, member_count__gt=0)
    for path, n in below.values_list("path", "member_count"):
        code = path.split(PATH_SEPARATOR)[depth - 1]
        if code in by_code:
            totals[by_code[code]] += n
    return totals


class PathSegment(Func):
    """PostgreSQL: the n-th (1-based) dot-separated segment of a path."""

    def __init__(self, expression: Combinable | str, index: int) -> None:
        from django.db.models import CharField, Value

        super().__init__(expression, Value(index), output_field=CharField())

    def as_sql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        return super().as_sql(
            compiler, connection, template="split_part(%(expressions)s)", arg_joiner=", '.', "
        )


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # "+" created, "~" changed, "-" deleted (simple_history's history_type)
    user: str
    reason: str
    changes: list[FieldChange]


def member_timeline(member: Member) -> list[TimelineEntry]:
    """The member's history, newest first: who, when, why, and each changed field before → after."""
    records = list(member.history.select_related("history_user").order_by("history_date", "history_id"))
    labels = {f.name: str(f.verbose_name) for f in Member._meta.fields}
    entries: list[TimelineEntry] = []
    previous = None
    for record in records:
        changes: list[FieldChange] = []
        if previous is not None:
            delta = record.diff_against(previous)
            changes = [FieldChange(labels.get(c.field, c.field), c.old, c.new) for c in delta.changes]
        user = record.history_user.get_username() if record.history_user else ""
        entries.append(
            TimelineEntry(
                record.history_date, record.history_type, user, record.history_change_reason or "", changes
            )
        )
        previous = record
    entries.reverse()
    return entries


def issuing_committee_name(cell: Organisation) -> str:
    """The name of the committee above the cell's grassroots organisation (commune level), from the path.

    A tree always has one (``ALLOWED_CHILDREN``); should it not, the nearest ancestor above the
    grassroots level, then the cell itself, stands in.
    """
    parts = cell.path.split(PATH_SEPARATOR)[:-1]  # a path ends with the separator
    prefixes = [PATH_SEPARATOR.join(parts[: n + 1]) + PATH_SEPARATOR for n in range(len(parts))]
    above = [
        o
        for o in Organisation.objects.filter(path__in=prefixes).only("name", "level", "path")
        if o.level <= OrgLevel.COMMUNE
    ]
    if not above:
        return cell.name
    commune = [o for o in above if o.level == OrgLevel.COMMUNE]
    return max(commune or above, key=lambda o: len(o.path)).name
