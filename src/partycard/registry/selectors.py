"""Reads of the registry. Every read starts from an organisation subtree (a path prefix).

The access issue puts the user → scope step in front of these (``scoped(actor, action)``); until then the
web views pass the user's own organisation as the root.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, F, Func, Lookup, Q, QuerySet, Sum, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import StrIndex

from partycard.accounts.roles import Action
from partycard.core import clock
from partycard.core.scope import scope_path
from partycard.core.text import fold
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Member, Organisation
from partycard.registry.models.organisation import PATH_SEPARATOR

__all__ = [
    "AGE_BANDS",
    "Cursor",
    "FieldChange",
    "LevelCount",
    "MemberFilters",
    "TimelineEntry",
    "TreeNode",
    "committee_level_counts",
    "commune_paths_below",
    "decode_cursor",
    "encode_cursor",
    "issuing_committee_name",
    "level_counts",
    "member_list",
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


# The bounded walk of the name index (single-word searches and plain lists in a large subtree): at most
# this many rows (~0.4 s); a spread-out word fills a page early.
_NAME_WALK_ROWS = 100_000

# Age bands offered by the member list (inclusive, in whole years; None = no upper bound).
AGE_BANDS: dict[str, tuple[int, int | None]] = {
    "18-30": (18, 30),
    "31-45": (31, 45),
    "46-60": (46, 60),
    "61-75": (61, 75),
    "76+": (76, None),
}


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
        if self.age_band:
            low, high = AGE_BANDS[self.age_band]
            cond &= Q(date_of_birth__lte=_years_before(today, low))
            if high is not None:  # older than high+1 years is out: born after (today - (high+1) years)
                cond &= Q(date_of_birth__gt=_years_before(today, high + 1))
        return cond


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


Cursor = tuple[str, int]


def encode_cursor(member: Member) -> str:
    """An opaque "continue after this row" token for keyset pages (URL-safe)."""
    raw = json.dumps([member.name_search, member.pk], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor | None:
    """The (name_search, id) a cursor stands for, or None if it is not one of ours."""
    try:
        name, pk = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(name, str) or not isinstance(pk, int) or isinstance(pk, bool) or len(name) > 100:
        return None
    return name, pk


def member_list(
    actor: Any, filters: MemberFilters, *, after: Cursor | None = None, limit: int = 50
) -> list[Member]:
    """One page of the members ``actor`` may see, narrowed by ``filters``, in name order (keyset).

    The actor's scope comes first (``Member.objects.scoped``); ``filters.organisation`` can only narrow it.
    A member (own-record scope) gets their own record if it matches.
    """
    root = scope_root(actor, Action.SEARCH_MEMBER)
    if root is None:
        own = Member.objects.scoped(actor, Action.VIEW_MEMBER).select_related("organisation")
        own = own.filter(
            filters.member_q(clock.today()), name_search__contains=" ".join(fold(filters.q).split())
        )
        return list(own[:limit])
    if filters.organisation is not None:
        if not filters.organisation.path.startswith(root.path):
            return []
        root = filters.organisation
    return member_search(root, filters.q, limit=limit, after=after, where=filters.member_q(clock.today()))


def member_search(
    root: Organisation,
    query: str,
    *,
    limit: int = 50,
    after: Cursor | None = None,
    where: Q | None = None,
) -> list[Member]:
    """Members in ``root``'s subtree whose name contains ``query``, accents ignored, in name order; ``where``
    narrows further (status, gender, date of birth).

    The query is one contiguous fragment ("nguyen van an", "thuy"), not a bag of words: the trigrams that
    span the words make a full name selective in the trigram index (3,300 candidate rows at 5.6 M members),
    while each word alone matches millions ("nguyen" ∧ "van" ∧ "an": 112,000 rows, 1 s).

    Keyset-paginated: pass the (name_search, id) of the last row seen as ``after``.

    On PostgreSQL the plan is steered here. The planner's estimate for ``LIKE '%…%'`` cannot tell *where* in
    name order the matches lie, and with ``ORDER BY name_search LIMIT n`` it often walks the name index
    until n matches turn up: fast when matches are spread over the alphabet (a given name, "thuy"), but
    millions of rows when they are bunched (a full name, "tran thi thu": 15 s at 5.6 M members; a family
    name, "pham": 11 s). So that unbounded walk is never used (docs/performance.md, "Registry"):

    * a subtree of fewer than ``_SMALL_SUBTREE_MEMBERS`` members (a commune, a small province) is read
      through its cells' (organisation, name) index, never the national trigram index;
    * in a larger one, a list or a single word first walks at most ``_NAME_WALK_ROWS`` rows of the name
      index; a full page found there is the answer;
    * otherwise the query runs with index scans off, which leaves the trigram bitmap (cost grows with the
      national number of matches: ~0.13 s for a full name at 5.6 M).

    The result is the same whichever plan runs.
    """
    needle = " ".join(fold(query).split())
    conn = connections[Member.objects.db]
    # A small subtree is read through its cells' (organisation, name) index (PostgreSQL; see below).
    small = _small_subtree(root) if conn.vendor == "postgresql" else None
    subtree = (
        Q(organisation_id__in=small) if small is not None else Q(organisation__path__startswith=root.path)
    )
    qs = Member.objects.filter(subtree)
    if where:
        qs = qs.filter(where)
    if after is not None:
        qs = qs.filter(Q(name_search__gt=after[0]) | Q(name_search=after[0], id__gt=after[1]))
    if conn.vendor != "postgresql":
        if needle:
            qs = qs.filter(name_search__contains=needle)
        return list(qs.select_related("organisation").order_by("name_search", "id")[:limit])
    # PostgreSQL: JIT compilation costs ~130 ms per statement here and never pays off for one page.
    if small is not None:
        # strpos() keeps the planner off the national trigram index, whose cost does not shrink with the
        # subtree; bitmap scans of the cells, then a sort of their rows: never a walk of the name index.
        if needle:
            qs = qs.alias(at=StrIndex("name_search", Value(needle))).filter(at__gt=0)
        with _planner_settings(conn, enable_indexscan="off", jit="off"):
            return list(qs.select_related("organisation").order_by("name_search", "id")[:limit])
    if " " in needle:
        # The trigram index is asked for a looser pattern that skips the word-boundary trigrams of long
        # words (the most frequent ones: "  t", " th"…); strpos() then keeps exactly the contiguous matches.
        # 2× faster for most full names ("tran thi thu": 208 → 86 ms at 5.6 M; see _trigram_pattern).
        like = _trigram_pattern(needle, conn.ops.prep_for_like_query)
        qs = qs.filter(Like(F("name_search"), Value(like)))
        qs = qs.alias(at=StrIndex("name_search", Value(needle))).filter(at__gt=0)
    elif needle:
        qs = qs.filter(name_search__contains=needle)
    qs = qs.select_related("organisation").order_by("name_search", "id")
    if " " not in needle:
        ids = _walk_name_order(conn, root, needle, where, limit=limit, after=after)
        if ids is not None:
            return list(
                Member.objects.filter(id__in=ids).select_related("organisation").order_by("name_search", "id")
            )
    with _planner_settings(conn, enable_indexscan="off", jit="off"):
        return list(qs[:limit])


class Like(Lookup):
    """``lhs LIKE rhs`` with a pattern built here (Django's lookups escape the wildcards we need)."""

    lookup_name = "partycard_like"

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def _trigram_pattern(needle: str, escape: Callable[[str], str]) -> str:
    """A LIKE pattern that every name containing ``needle`` matches, cheap for the trigram index.

    Between two words of three letters or more the space becomes ``_`` (any one character): pg_trgm then
    takes no word-boundary trigrams for those words, and those are the longest posting lists. A word of one
    or two letters keeps its spaces, which give it its only trigrams (" an", "an ").
    """
    words = [escape(w) for w in needle.split(" ")]
    pattern = words[0]
    for previous, word in itertools.pairwise(words):
        pattern += ("_" if len(previous) >= 3 and len(word) >= 3 else " ") + word
    return f"%{pattern}%"


# A subtree with fewer members than this is searched through its cells' index (see member_search).
_SMALL_SUBTREE_MEMBERS = 100_000


def _small_subtree(root: Organisation) -> list[int] | None:
    """The ids of the organisations holding members in ``root``'s subtree, if it is small; else None.

    The Centre is never small, and summing its ~300,000 counters would cost ~0.1 s; below a committee
    directly under the Centre the sum is over a few thousand rows at most.
    """
    if root.level == OrgLevel.CENTRE or subtree_member_count(root) >= _SMALL_SUBTREE_MEMBERS:
        return None
    return list(organisation_subtree(root).filter(member_count__gt=0).values_list("id", flat=True))


def _walk_name_order(
    conn: BaseDatabaseWrapper,
    root: Organisation,
    needle: str,
    where: Q | None,
    *,
    limit: int,
    after: Cursor | None,
) -> list[int] | None:
    """The first ``limit`` matches in name order if they lie within ``_NAME_WALK_ROWS`` rows of the name
    index (from ``after``), else None. The walk stops as soon as it has ``limit`` matches.

    The walk reads the covering (name_search, id, organisation_id) index; member-row filters (``where``)
    are checked on the rows that pass the name and subtree tests, through the primary key.
    """
    member, org = Member._meta.db_table, Organisation._meta.db_table
    start = "WHERE (name_search, id) > (%s, %s)" if after is not None else ""
    like = conn.ops.prep_for_like_query
    params: list[Any] = [*(after or ()), _NAME_WALK_ROWS, f"%{like(needle)}%", f"{like(root.path)}%"]
    join = extra = ""
    if where:
        # The member-row filters, compiled by the ORM; they read the walked row through its primary key.
        query = Member.objects.filter(where).query
        where_sql, where_params = query.where.as_sql(query.get_compiler(connection=conn), conn)
        join, extra = f" JOIN {member} ON {member}.id = w.id", f" AND {where_sql}"
        params.extend(where_params)
    # Table names come from the models; every value is a parameter.
    sql = (
        f"SELECT w.id FROM (SELECT id, name_search, organisation_id FROM {member} {start} "  # noqa: S608
        f"ORDER BY name_search, id LIMIT %s) w JOIN {org} o ON o.id = w.organisation_id{join} "
        f"WHERE w.name_search LIKE %s AND o.path LIKE %s{extra} ORDER BY w.name_search, w.id LIMIT %s"
    )
    params.append(limit)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) == limit else None


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
    """The organisations directly under ``parent``, each with its subtree's member total, in code order.

    One grouped pass over ``parent``'s subtree (the path segment after the parent's names the child), not a
    query per child; at the Centre that is the ~310,000 organisations of the country.
    """
    children = list(Organisation.objects.filter(parent=parent).order_by("code"))
    if not children:
        return []
    depth = parent.path.count(".") + 1  # the child's code is this 1-based segment of every descendant path
    below = Organisation.objects.filter(path__startswith=parent.path).exclude(pk=parent.pk)
    totals: dict[str, int] = {}
    deeper: set[str] = set()
    if connections[below.db].vendor == "postgresql":
        rows = (
            below.annotate(child=PathSegment("path", depth))
            .order_by()
            .values("child")
            .annotate(n=Sum("member_count"), orgs=Count("id"))
        )
        for r in rows:
            totals[r["child"]] = int(r["n"] or 0)
            if r["orgs"] > 1:
                deeper.add(r["child"])
    else:  # SQLite (make run's demo): small enough to group in Python
        counted: dict[str, int] = {}
        for path, n in below.values_list("path", "member_count"):
            code = path.split(".")[depth - 1]
            totals[code] = totals.get(code, 0) + n
            counted[code] = counted.get(code, 0) + 1
        deeper = {code for code, orgs in counted.items() if orgs > 1}
    return [TreeNode(c, totals.get(c.code, 0), c.code in deeper) for c in children]


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
