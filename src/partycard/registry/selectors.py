"""Reads of the registry. Every read starts from an organisation subtree (a path prefix).

The access issue puts the user → scope step in front of these (``scoped(actor, action)``); until then the
web views pass the user's own organisation as the root.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Func, QuerySet, Sum
from django.db.models.expressions import Combinable

from partycard.core.text import fold
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Member, Organisation

__all__ = [
    "LevelCount",
    "committee_level_counts",
    "level_counts",
    "member_search",
    "organisation_subtree",
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

    output_field_class = None

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


def member_search(
    root: Organisation, query: str, *, limit: int = 50, after: tuple[str, int] | None = None
) -> list[Member]:
    """Members in ``root``'s subtree whose name contains ``query``, accents ignored, ordered by name.

    Keyset-paginated: pass the (name_search, id) of the last row seen as ``after``. On PostgreSQL the
    contains-match uses the trigram index on ``name_search``.
    """
    needle = fold(query)
    qs = Member.objects.filter(organisation__path__startswith=root.path)
    if needle:
        qs = qs.filter(name_search__contains=needle)
    if after is not None:
        from django.db.models import Q

        qs = qs.filter(Q(name_search__gt=after[0]) | Q(name_search=after[0], id__gt=after[1]))
    return list(qs.select_related("organisation").order_by("name_search", "id")[:limit])
