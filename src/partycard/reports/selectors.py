"""Reads of the progress report: one organisation's figures, its children's, the daily trend, the slowest
organisations and the way down to one. Every read is scoped with ``Action.VIEW_REPORT``: an organisation
outside the actor's subtree is :class:`~partycard.core.scope.OutOfScope` (404), the same as a missing one.

Every figure is a read of the kept counters (``models.Tally``: a few rows per organisation, summed over
their slots), never a scan of the cases; a past day's figures are the sums of the daily deltas up to it
(``models.TallyDay``). Only the lagging organisations' "where it waits" reads the cases and cards, of those
few organisations. ``recount`` counts the same from the rows (``report verify`` compares the two).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.db import connections, router
from django.db.models import Max, Sum

from partycard.accounts.roles import Action
from partycard.core import clock
from partycard.core.scope import OutOfScope
from partycard.exchange.models import Campaign
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation
from partycard.registry.selectors import LevelCount, level_counts, scope_root
from partycard.reports import recount
from partycard.reports.keys import CAMPAIGNLESS
from partycard.reports.models import Tally, TallyDay
from partycard.reports.progress import STAGES, Lagging, Progress, Stage

__all__ = [
    "campaign_current",
    "organisation_levels",
    "progress_breadcrumbs",
    "progress_children",
    "progress_get",
    "progress_lagging",
    "progress_trend",
    "report_letterhead",
]


def campaign_current() -> Campaign | None:
    """The campaign reported on: the open one with the latest cut-off, else the latest closed one."""
    return (
        Campaign.objects.filter(is_open=True).order_by("-cut_off", "-pk").first()
        or Campaign.objects.order_by("-cut_off", "-pk").first()
    )


def _organisation(actor: Any, code: str | None) -> Organisation:
    """The organisation ``code`` (None: the actor's scope root) if the actor may read its report.
    ``actor`` None is the system (the operator's command line, as ``scope_require``): the whole tree."""
    if actor is None:
        everything = Organisation.objects.all()
        rows = everything.filter(parent__isnull=True) if code is None else everything.filter(code=code)
        system = rows.first()
        if system is None:
            raise OutOfScope("code")
        return system
    if code is None:
        root = scope_root(actor, Action.VIEW_REPORT)
        if root is None:
            raise OutOfScope("code")
        return root
    found = Organisation.objects.scoped(actor, Action.VIEW_REPORT).filter(code=code).first()
    if found is None:
        raise OutOfScope("code")
    return found


def _campaign_id(campaign: Campaign | None) -> int | None:
    chosen = campaign or campaign_current()
    return chosen.pk if chosen else None


def _campaigns(campaign_id: int | None) -> list[int]:
    return [CAMPAIGNLESS] if campaign_id is None else [CAMPAIGNLESS, campaign_id]


def _figures(
    org_ids: Sequence[int], campaign_id: int | None, on: dt.date | None, keys: Sequence[str] = ()
) -> dict[int, Counter[str]]:
    """Each organisation's counts (key → n) in ``campaign_id`` (and the campaign-less cards and members):
    now (the counters summed over their slots) or at the end of day ``on`` (the daily deltas up to it).
    Only ``keys``, when given."""
    out: dict[int, Counter[str]] = {pk: Counter() for pk in org_ids}
    if not out:
        return out
    if on is None or on >= clock.today():
        # The rows as they are (a few per organisation and key: its slots), added up here: in SQL the
        # grouping of a province's ~12,000 counters costs more than it saves.
        sql = (
            f"SELECT organisation_id, key, n FROM {Tally._meta.db_table} "  # noqa: S608
            "WHERE organisation_id {orgs} AND campaign_id {campaigns}{keys}"
        )
        params: list[Any] = []
    else:
        sql = (
            f"SELECT organisation_id, key, SUM(delta) FROM {TallyDay._meta.db_table} "  # noqa: S608
            "WHERE day <= %s AND organisation_id {orgs} AND campaign_id {campaigns}{keys} "
            "GROUP BY organisation_id, key"
        )
        params = [on]
    campaigns = _campaigns(campaign_id)
    # The database the ORM would read the counters from: the replica in a report view (core/db_router.py).
    connection = connections[router.db_for_read(Tally)]
    if connection.vendor == "postgresql":
        # One array parameter per list: a province's ~300 children are bound as one value, not 300.
        sql = sql.format(
            orgs="= ANY(%s::bigint[])",  # typed: a list of small ints binds as integer[] (evaluation._stored)
            campaigns="= ANY(%s::bigint[])",
            keys=" AND key = ANY(%s)" if keys else "",
        )
        values = [*params, list(out), campaigns, *([list(keys)] if keys else [])]
    else:
        sql = sql.format(
            orgs=f"IN ({', '.join(['%s'] * len(out))})",
            campaigns=f"IN ({', '.join(['%s'] * len(campaigns))})",
            keys=f" AND key IN ({', '.join(['%s'] * len(keys))})" if keys else "",
        )
        values = [*params, *out, *campaigns, *keys]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        rows = cursor.fetchall()
    for org, key, n in rows:
        counts = out[org]
        counts[key] = counts.get(key, 0) + int(n)
    return out


def _with_children(org_ids: Sequence[int]) -> set[int]:
    """Which of ``org_ids`` have an organisation under them."""
    return set(
        Organisation.objects.filter(parent__in=list(org_ids))
        .order_by()
        .values_list("parent_id", flat=True)
        .distinct()
    )


def _progress(org: Organisation, campaign_id: int | None, on: dt.date | None, has_children: bool) -> Progress:
    figures = _figures([org.pk], campaign_id, on)[org.pk]
    return recount.progress_of(org, figures, on=on, has_children=has_children)


def progress_get(
    actor: Any, *, code: str | None = None, on: dt.date | None = None, campaign: Campaign | None = None
) -> Progress:
    """The figures of organisation ``code`` (None: the actor's scope root) and its whole subtree, as they
    stood at the end of day ``on`` (None: now), in ``campaign`` (None: :func:`campaign_current`).

    Raises:
        OutOfScope: no such organisation in the actor's scope for ``VIEW_REPORT``.
    """
    org = _organisation(actor, code)
    has_children = Organisation.objects.filter(parent=org).exists()
    return _progress(org, _campaign_id(campaign), on, has_children)


def progress_children(
    actor: Any, *, code: str, on: dt.date | None = None, campaign: Campaign | None = None
) -> list[Progress]:
    """The figures of each organisation directly under ``code``, in code order (``has_children`` set).

    Raises:
        OutOfScope: no such organisation in the actor's scope.
    """
    org = _organisation(actor, code)
    campaign_id = _campaign_id(campaign)
    children = [
        recount.OrgRow(*row)
        for row in Organisation.objects.filter(parent=org)
        .order_by("code")
        .values_list("pk", "code", "name", "level", "path")
    ]
    parents = _with_children([c.pk for c in children])
    figures = _figures([c.pk for c in children], campaign_id, on)
    return [recount.progress_of(c, figures[c.pk], on=on, has_children=c.pk in parents) for c in children]


def progress_trend(
    actor: Any, *, code: str, start: dt.date, end: dt.date, campaign: Campaign | None = None
) -> list[tuple[dt.date, Progress]]:
    """One point per day from ``start`` to ``end`` (both included): the figures as they stood that day.

    Raises:
        OutOfScope: no such organisation in the actor's scope.
        ValueError: ``end`` is before ``start``.
    """
    if end < start:
        raise ValueError("end is before start")
    org = _organisation(actor, code)
    campaign_id = _campaign_id(campaign)
    has_children = Organisation.objects.filter(parent=org).exists()
    # One read of the organisation's daily deltas up to ``end``; the figures of each day are their running
    # sum (what came before ``start`` is the first day's starting point).
    deltas: dict[dt.date, Counter[str]] = defaultdict(Counter)
    rows = (
        TallyDay.objects.filter(organisation=org, campaign__in=_campaigns(campaign_id), day__lte=end)
        .order_by()
        .values_list("day", "key")
        .annotate(total=Sum("delta"))
    )
    running: Counter[str] = Counter()
    for day, key, n in rows:
        if day < start:
            running[key] += int(n)
        else:
            deltas[day][key] += int(n)
    out: list[tuple[dt.date, Progress]] = []
    for i in range((end - start).days + 1):
        day = start + dt.timedelta(days=i)
        running.update(deltas.get(day, Counter()))
        out.append((day, recount.progress_of(org, running, on=day, has_children=has_children)))
    return out


def progress_lagging(
    actor: Any,
    *,
    code: str,
    level: int | None = None,
    limit: int = 20,
    campaign: Campaign | None = None,
) -> list[Lagging]:
    """The slowest organisations at ``level`` (default: the committees directly above the grassroots) in
    the subtree of ``code``: lowest share handed over first, then lowest share accepted; each with the step
    where most of its unfinished work waits and how long the oldest has waited there.

    Raises:
        OutOfScope: no such organisation in the actor's scope.
    """
    org = _organisation(actor, code)
    campaign_id = _campaign_id(campaign)
    wanted = OrgLevel.COMMUNE if level is None else level
    candidates = {
        o.pk: o
        for o in Organisation.objects.filter(path__startswith=org.path, level=wanted).select_related("parent")
    }
    # Rank on the few counters the shares need, read for every candidate at once; then read the full
    # figures, and where the work waits, of the slowest only.
    keys = sorted(
        {m.value for stage in (Stage.ELIGIBLE, Stage.ACCEPTED, Stage.HANDED_OVER) for m in STAGES[stage]}
    )
    ranked = _figures(list(candidates), campaign_id, None, keys)

    def share(counts: Counter[str], stage: Stage) -> float:
        eligible = sum(counts[m.value] for m in STAGES[Stage.ELIGIBLE])
        return sum(counts[m.value] for m in STAGES[stage]) / eligible if eligible else 0.0

    slowest = sorted(
        # An organisation without an eligible member has nobody waiting for a card: not ranked.
        (pk for pk in candidates if any(ranked[pk][m.value] for m in STAGES[Stage.ELIGIBLE])),
        key=lambda pk: (
            share(ranked[pk], Stage.HANDED_OVER),
            share(ranked[pk], Stage.ACCEPTED),
            candidates[pk].code,
        ),
    )[: max(limit, 0)]
    chosen = [candidates[pk] for pk in slowest]
    parents = _with_children(slowest)
    figures = _figures(slowest, campaign_id, None)
    out: list[Lagging] = []
    for o in chosen:
        state, count, days = recount.stuck(o.path, campaign_id)
        p = recount.progress_of(o, figures[o.pk], has_children=o.pk in parents)
        out.append(Lagging(p, o.parent.name if o.parent else "", state, count, days))
    return out


def progress_breadcrumbs(actor: Any, *, code: str) -> list[tuple[str, str]]:
    """``(code, name)`` of each organisation from the actor's scope root down to ``code`` (both included).

    Raises:
        OutOfScope: no such organisation in the actor's scope.
    """
    org = _organisation(actor, code)
    root = scope_root(actor, Action.VIEW_REPORT)
    top = root.path if root is not None else ""
    codes = [c for c in org.path.split(".") if c]
    prefixes = [".".join(codes[: i + 1]) + "." for i in range(len(codes))]
    chain = dict(
        Organisation.objects.filter(path__in=[p for p in prefixes if p.startswith(top)]).values_list(
            "path", "name"
        )
    )
    return [(p.split(".")[-2], chain[p]) for p in prefixes if p in chain]


def report_letterhead(actor: Any, *, code: str) -> dict[str, Any]:
    """What the export's letterhead is proposed from: the organisation's name and level, the name of the
    one above it and of the committee directly under the Centre it belongs to (names the officer's own
    chain already shows them; nothing of a sibling).

    Raises:
        OutOfScope: no such organisation in the actor's scope.
    """
    org = _organisation(actor, code)
    codes = [c for c in org.path.split(".") if c]
    province_path = ".".join(codes[:2]) + "." if len(codes) >= 2 else ""
    parent = Organisation.objects.filter(pk=org.parent_id or 0).values_list("name", flat=True).first()
    province = Organisation.objects.filter(path=province_path).values_list("name", flat=True).first()
    return {
        "name": org.name,
        "level": org.level,
        "parent": parent or "",
        "province": province or "",
    }


LEVELS_SECONDS = 300


def organisation_levels(root: Organisation, *, members: int) -> list[LevelCount]:
    """``registry.selectors.level_counts(root)`` (organisations and members by level in the subtree) for the
    home page, kept in the cache for up to ``LEVELS_SECONDS``: at the Centre it is a scan of every
    organisation (~230 ms of the old dashboard's 313 ms), the same for every visit.

    The key holds the subtree's member count (the kept counter ``members``, pass ``Progress.members``) and
    the newest organisation's id, so an added member or organisation shows at once; a move or a level
    change shows within ``LEVELS_SECONDS``. The caller has checked that the actor may read ``root``.
    """
    newest = Organisation.objects.aggregate(m=Max("pk"))["m"] or 0
    digest = hashlib.sha256(root.path.encode()).hexdigest()[:32]
    key = f"reports:levels:{digest}:{members}:{newest}"
    found = cache.get(key)
    if found is None:
        found = level_counts(root)
        cache.set(key, found, LEVELS_SECONDS)
    return list(found)
