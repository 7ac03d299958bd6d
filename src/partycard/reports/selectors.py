"""Reads of the progress report: one organisation's figures, its children's, the daily trend, the slowest
organisations and the way down to one. Every read is scoped with ``Action.VIEW_REPORT``: an organisation
outside the actor's subtree is :class:`~partycard.core.scope.OutOfScope` (404), the same as a missing one.

First version: every figure recounted from the cases, cards, verdicts and members (``recount``); the
incrementally kept counters replace it without changing these signatures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from partycard.accounts.roles import Action
from partycard.core.scope import OutOfScope
from partycard.exchange.models import Campaign
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation
from partycard.registry.selectors import scope_root
from partycard.reports import recount
from partycard.reports.progress import Lagging, Progress, Stage

__all__ = [
    "campaign_current",
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


def _progress(org: Organisation, campaign_id: int | None, on: dt.date | None, has_children: bool) -> Progress:
    figures = recount.subtree_figures(org.path, campaign_id)
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
    children = list(Organisation.objects.filter(parent=org).order_by("code"))
    parents = set(
        Organisation.objects.filter(parent__in=children).values_list("parent_id", flat=True).distinct()
    )
    return [_progress(child, campaign_id, on, child.pk in parents) for child in children]


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
    days = (end - start).days + 1
    return [
        (day, _progress(org, campaign_id, day, has_children))
        for day in (start + dt.timedelta(days=i) for i in range(days))
    ]


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
    candidates = list(
        Organisation.objects.filter(path__startswith=org.path, level=wanted)
        .select_related("parent")
        .order_by("code")
    )
    parents = set(
        Organisation.objects.filter(parent__in=candidates).values_list("parent_id", flat=True).distinct()
    )
    scored = [_progress(c, campaign_id, None, c.pk in parents) for c in candidates]
    scored.sort(key=lambda p: (p.share(Stage.HANDED_OVER), p.share(Stage.ACCEPTED), p.code))
    by_code = {c.code: c for c in candidates}
    out: list[Lagging] = []
    for p in scored[: max(limit, 0)]:
        o = by_code[p.code]
        state, count, days = recount.stuck(o.path, campaign_id)
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
