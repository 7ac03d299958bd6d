"""Reads of the registry. Every read starts from an organisation subtree (a path prefix).

The access issue puts the user → scope step in front of these (``scoped(actor, action)``); until then the
web views pass the user's own organisation as the root.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, Func, Q, QuerySet, Sum
from django.db.models.expressions import Combinable

from partycard.core.scope import scope_path
from partycard.core.text import fold
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Member, Organisation

__all__ = [
    "LevelCount",
    "committee_level_counts",
    "level_counts",
    "member_search",
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
    """The second path segment: the code of the committee directly under the Centre."""

    def __init__(self, expression: Combinable | str) -> None:
        from django.db.models import CharField

        super().__init__(expression, output_field=CharField())

    def as_postgresql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        return self.as_sql(compiler, connection, template="split_part(%(expressions)s, '.', 2)", **extra)

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


# The bounded walk of the name index (single-word searches): at most this many rows (~0.4 s), and only in a
# subtree holding at least this share of the organisations, where a spread-out word fills a page early.
_NAME_WALK_ROWS = 100_000
_NAME_WALK_MIN_SHARE = 0.03


def member_search(
    root: Organisation, query: str, *, limit: int = 50, after: tuple[str, int] | None = None
) -> list[Member]:
    """Members in ``root``'s subtree whose name contains ``query``, accents ignored, ordered by name.

    Keyset-paginated: pass the (name_search, id) of the last row seen as ``after``.

    On PostgreSQL the plan is steered here. The planner's estimate for ``LIKE '%…%'`` cannot tell *where* in
    name order the matches lie, and with ``ORDER BY name_search LIMIT n`` it often walks the name index
    until n matches turn up: fast when matches are spread over the alphabet (a given name, "thuy"), but
    millions of rows when they are bunched (a full name, "tran thi thu": 15 s at 5.6 M members; a family
    name, "pham": 11 s). So that unbounded walk is never used (docs/performance.md, "Registry"):

    * the query runs with index scans off, which leaves the trigram bitmap (cost grows with the national
      number of matches: ~0.13 s for a full name at 5.6 M) or, for a small subtree, bitmaps on its
      organisations' members (milliseconds);
    * before that, a single word searched in a large subtree (a big province, the Centre) walks at most
      ``_NAME_WALK_ROWS`` rows of the name index; a full page found there is the answer.

    The result is the same whichever plan runs.
    """
    needle = fold(query)
    qs = Member.objects.filter(organisation__path__startswith=root.path)
    if needle:
        qs = qs.filter(name_search__contains=needle)
    if after is not None:
        qs = qs.filter(Q(name_search__gt=after[0]) | Q(name_search=after[0], id__gt=after[1]))
    qs = qs.select_related("organisation").order_by("name_search", "id")
    conn = connections[qs.db]
    if not needle or conn.vendor != "postgresql":
        return list(qs[:limit])
    if " " not in needle and _subtree_share(root) >= _NAME_WALK_MIN_SHARE:
        ids = _walk_name_order(conn, root, needle, limit=limit, after=after)
        if ids is not None:
            return list(
                Member.objects.filter(id__in=ids).select_related("organisation").order_by("name_search", "id")
            )
    with _planner_settings(conn, enable_indexscan="off"):
        return list(qs[:limit])


def _subtree_share(root: Organisation) -> float:
    """The planner's estimate of the share of all organisations in ``root``'s subtree (no rows read)."""

    def rows(qs: QuerySet[Organisation]) -> float:
        return float(json.loads(qs.order_by().explain(format="json"))[0]["Plan"]["Plan Rows"])

    return rows(organisation_subtree(root)) / max(1.0, rows(Organisation.objects.all()))


def _walk_name_order(
    conn: BaseDatabaseWrapper, root: Organisation, needle: str, *, limit: int, after: tuple[str, int] | None
) -> list[int] | None:
    """The first ``limit`` matches in name order if they lie within ``_NAME_WALK_ROWS`` rows of the name
    index (from ``after``), else None. The walk stops as soon as it has ``limit`` matches."""
    member, org = Member._meta.db_table, Organisation._meta.db_table
    start = "WHERE (name_search, id) > (%s, %s)" if after is not None else ""
    # Table names come from the models; every value is a parameter.
    sql = (
        f"SELECT w.id FROM (SELECT id, name_search, organisation_id FROM {member} {start} "  # noqa: S608
        f"ORDER BY name_search, id LIMIT %s) w JOIN {org} o ON o.id = w.organisation_id "
        f"WHERE w.name_search LIKE %s AND o.path LIKE %s ORDER BY w.name_search, w.id LIMIT %s"
    )
    like = conn.ops.prep_for_like_query
    params = [*(after or ()), _NAME_WALK_ROWS, f"%{like(needle)}%", f"{like(root.path)}%", limit]
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
