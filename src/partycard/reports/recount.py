"""The figures counted from scratch: a ``GROUP BY`` over the cases, cards, verdicts and members.

What the kept counters must equal at every commit (``report verify`` compares them, ``report rebuild``
puts them right), and the raw baseline the benchmark measures the counters against.

:func:`recount_into` counts a whole subtree in SQL, on PostgreSQL and SQLite alike: each thing is counted
where it sits (a case in its cell, a card and a verdict in their member's cell, a member in their cell),
then the counts are carried up the tree one level at a time (``parent_id``), each step one grouped
``INSERT … SELECT``, so every organisation gets its subtree's count without a row of Python per thing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Count, Min, Q

from partycard.cards.models import Card
from partycard.core import clock
from partycard.exchange.models import Case, Eligibility
from partycard.exchange.workflow import OPEN_STATES
from partycard.registry.choices import ACTIVE_STATUSES
from partycard.registry.models import Member, Organisation
from partycard.reports.keys import (
    CAMPAIGNLESS,
    MEMBERS,
    OLD_KEYS,
    REASON_PREFIX,
    card_keys,
    case_key,
    verdict_keys,
)
from partycard.reports.models import Tally, TallyDay
from partycard.reports.progress import Metric, Progress

__all__ = [
    "RECOUNT_TABLE",
    "STUCK_CARD_STATES",
    "Difference",
    "OrgRow",
    "corrections_apply",
    "differences",
    "progress_of",
    "recount_drop",
    "recount_into",
    "stuck",
    "subtree_figures",
]

# A new card on its way to the member: where an accepted case's member waits.
STUCK_CARD_STATES = ("allocated", "in_production", "produced", "in_transit", "received")


def subtree_figures(path: str, campaign_id: int | None) -> Counter[str]:
    """Every key's count in the subtree at ``path``, counted from the rows (the campaign's cases and
    verdicts; every card; the probationary and official members)."""
    out: Counter[str] = Counter()
    out[MEMBERS] = Member.objects.filter(
        organisation__path__startswith=path, status__in=list(ACTIVE_STATUSES)
    ).count()
    cards = (
        Card.objects.filter(member__organisation__path__startswith=path)
        .order_by()
        .values_list("kind", "state")
        .annotate(reissue=Count("id", filter=Q(case__isnull=True, kind="new")), n=Count("id"))
    )
    for kind, state, reissue, n in cards:
        for key in card_keys(kind, state, False):
            out[key] += n
        if reissue:
            out[Metric.REISSUED.value] += reissue
    if campaign_id is None:
        return out
    cases = (
        Case.objects.filter(campaign_id=campaign_id, organisation__path__startswith=path)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
    )
    for state, n in cases:
        out[case_key(state)] += n
    verdicts = (
        Eligibility.objects.filter(campaign_id=campaign_id, member__organisation__path__startswith=path)
        .order_by()
        .values_list("eligible", "postponed", "codes")
        .annotate(n=Count("id"))
    )
    for eligible, postponed, codes, n in verdicts:
        for key in verdict_keys(eligible, postponed, codes):
            out[key] += n
    return out


_ZEROS = dict.fromkeys((m.value for m in Metric), 0)


class OrgRow(NamedTuple):
    """What a :class:`Progress` names of its organisation (a list of children need not load the rest)."""

    pk: int
    code: str
    name: str
    level: int
    path: str


def progress_of(
    org: Organisation | OrgRow, figures: Any, *, on: dt.date | None = None, has_children: bool = False
) -> Progress:
    """A :class:`Progress` from ``figures`` (key → count): every metric present, zeros included."""
    get = figures.get
    counts = dict(_ZEROS)
    reasons = {}
    for key, n in figures.items():
        if key in counts:
            counts[key] = int(n)
        elif n and key.startswith(REASON_PREFIX):
            reasons[key.removeprefix(REASON_PREFIX)] = int(n)
    return Progress(
        code=org.code,
        name=org.name,
        level=org.level,
        path=org.path,
        members=int(get(MEMBERS, 0)),
        counts=counts,
        reasons=dict(sorted(reasons.items())),
        on=on,
        has_children=has_children,
    )


def stuck(path: str, campaign_id: int | None, *, now: dt.datetime | None = None) -> tuple[str, int, int]:
    """Where most unfinished work of the subtree at ``path`` waits: ``(metric value, how many, days the
    longest has waited there)``; ``("", 0, 0)`` when nothing waits.

    The candidates are the open cases of the campaign, by state, and the new cards on their way down, by
    state; a case or card waits since it entered its state (``updated_at``, written by every transition).
    """
    now = now or clock.now()
    waiting: list[tuple[int, str, dt.datetime]] = []
    if campaign_id is not None:
        for state, n, since in (
            Case.objects.filter(
                campaign_id=campaign_id,
                organisation__path__startswith=path,
                state__in=[s.value for s in OPEN_STATES],
            )
            .order_by()
            .values_list("state")
            .annotate(n=Count("id"), since=Min("updated_at"))
        ):
            waiting.append((n, case_key(state), since))
    for state, n, since in (
        Card.objects.filter(
            member__organisation__path__startswith=path, kind="new", state__in=STUCK_CARD_STATES
        )
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"), since=Min("updated_at"))
    ):
        waiting.append((n, card_keys("new", state, False)[0], since))
    if not waiting:
        return "", 0, 0
    n, key, since = max(waiting, key=lambda w: (w[0], now - w[2]))
    return key, n, max((now - since).days, 0)


# ---- the whole subtree, in SQL ----

RECOUNT_TABLE = "reports_recount"  # a temporary table: (organisation_id, campaign_id, key, n)
_FRONT, _NEXT = "reports_recount_front", "reports_recount_next"
_CARDS, _VERDICTS, _DIFF = "reports_recount_cards", "reports_recount_verdicts", "reports_recount_diff"
_TEMPORARY = (RECOUNT_TABLE, _FRONT, _NEXT, _CARDS, _VERDICTS, _DIFF)
# Memory for the recount's grouping and sorting, on PostgreSQL, for its transaction only: millions of rows
# grouped in memory rather than in files.
_WORK_MEM = "256MB"


def _exec(sql: str, params: Sequence[Any] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def _rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


def recount_drop() -> None:
    """Drop the temporary tables of :func:`recount_into` and :func:`differences`."""
    for table in _TEMPORARY:
        _exec(f"DROP TABLE IF EXISTS {table}")


def _temp(table: str, columns: str = "") -> None:
    _exec(f"DROP TABLE IF EXISTS {table}")
    _exec(
        f"CREATE TEMPORARY TABLE {table} "
        + (
            columns
            or "(organisation_id bigint NOT NULL, campaign_id integer NOT NULL, key varchar(60) NOT NULL, "
            "n bigint NOT NULL)"
        )
    )


def _quoted(value: str) -> str:
    """A string literal of a key (keys are letters, digits, ``_`` and ``:``: checked, never user input)."""
    if not value.replace("_", "").replace(":", "").isalnum():
        raise ValueError(f"not a key: {value!r}")
    return f"'{value}'"


def recount_into(*, path: str = "") -> None:
    """Count every key of every organisation in the subtree at ``path`` ("" = the whole tree) from the
    rows, into the temporary table :data:`RECOUNT_TABLE` (one row per organisation, campaign and key).
    The caller (in a transaction) reads it, then calls :func:`recount_drop`.

    One pass over each table: the members; the cases; the cards grouped by cell, kind, state and whether
    a case made them (the card keys are read off that small table); the verdicts grouped by cell, campaign
    and verdict (the verdict keys and each reason code, likewise). Then the counts are carried up."""
    org = Organisation._meta.db_table
    member, case, card, verdict = (
        Member._meta.db_table,
        Case._meta.db_table,
        Card._meta.db_table,
        Eligibility._meta.db_table,
    )
    if connection.vendor == "postgresql":
        _exec(f"SET LOCAL work_mem = '{_WORK_MEM}'")

    def within(cell: str) -> tuple[str, list[Any]]:
        """Only the cells of the subtree (none: every cell)."""
        if not path:
            return "", []
        return f" JOIN {org} o ON o.id = {cell} AND o.path LIKE %s", [path + "%"]

    into = f"INSERT INTO {RECOUNT_TABLE} (organisation_id, campaign_id, key, n) "
    _temp(RECOUNT_TABLE)
    active = ", ".join(_quoted(s) for s in sorted(ACTIVE_STATUSES))
    join, params = within("m.organisation_id")
    _exec(
        into + f"SELECT m.organisation_id, {CAMPAIGNLESS}, '{MEMBERS}', COUNT(*) FROM {member} m{join} "  # noqa: S608
        f"WHERE m.status IN ({active}) GROUP BY m.organisation_id",
        params,
    )
    join_c, params_c = within("c.organisation_id")
    _exec(
        into + "SELECT c.organisation_id, c.campaign_id, 'case_' || c.state, COUNT(*) "  # noqa: S608
        f"FROM {case} c{join_c} GROUP BY c.organisation_id, c.campaign_id, c.state",
        params_c,
    )
    _temp(_CARDS, "(organisation_id bigint, kind varchar(3), state varchar(16), reissue integer, n bigint)")
    _exec(
        f"INSERT INTO {_CARDS} SELECT m.organisation_id, c.kind, c.state, "  # noqa: S608
        "CASE WHEN c.case_id IS NULL THEN 1 ELSE 0 END, COUNT(*) "
        f"FROM {card} c JOIN {member} m ON m.id = c.member_id{join} "
        "GROUP BY m.organisation_id, c.kind, c.state, CASE WHEN c.case_id IS NULL THEN 1 ELSE 0 END",
        params,
    )
    old = (
        "CASE state "
        + " ".join(f"WHEN {_quoted(state)} THEN {_quoted(key)}" for state, key in sorted(OLD_KEYS.items()))
        + f" ELSE '{Metric.OLD_OTHER.value}' END"
    )
    for key, where, by in (
        ("'card_' || state", "kind = 'new'", ", state"),
        (f"'{Metric.REISSUED.value}'", "kind = 'new' AND reissue = 1", ""),
        (old, "kind = 'old'", f", {old}"),
    ):
        _exec(
            into + f"SELECT organisation_id, {CAMPAIGNLESS}, {key}, SUM(n) FROM {_CARDS} "  # noqa: S608
            f"WHERE {where} GROUP BY organisation_id{by}"
        )
    _temp(
        _VERDICTS,
        "(organisation_id bigint, campaign_id integer, eligible boolean, postponed boolean, "
        "codes varchar(255), n bigint)",
    )
    _exec(
        f"INSERT INTO {_VERDICTS} SELECT m.organisation_id, e.campaign_id, e.eligible, e.postponed, "  # noqa: S608
        f"e.codes, COUNT(*) FROM {verdict} e JOIN {member} m ON m.id = e.member_id{join} "
        "GROUP BY m.organisation_id, e.campaign_id, e.eligible, e.postponed, e.codes",
        params,
    )
    head = (
        f"CASE WHEN eligible THEN '{Metric.ELIGIBLE.value}' WHEN postponed THEN "
        f"'{Metric.POSTPONED.value}' ELSE '{Metric.NOT_ELIGIBLE.value}' END"
    )
    _exec(
        into + f"SELECT organisation_id, campaign_id, {head}, SUM(n) FROM {_VERDICTS} "  # noqa: S608
        f"GROUP BY organisation_id, campaign_id, {head}"
    )
    combinations = _rows(f"SELECT DISTINCT codes FROM {_VERDICTS} WHERE NOT eligible")  # noqa: S608
    for code in sorted({c for (codes,) in combinations for c in codes.split(",") if c}):
        _exec(
            into + f"SELECT organisation_id, campaign_id, {_quoted(REASON_PREFIX + code)}, SUM(n) "  # noqa: S608
            f"FROM {_VERDICTS} WHERE NOT eligible AND ',' || codes || ',' LIKE %s "
            "GROUP BY organisation_id, campaign_id",
            [f"%,{code},%"],
        )
    _exec(f"DROP TABLE {_CARDS}")
    _exec(f"DROP TABLE {_VERDICTS}")
    _roll_up(path)


def _roll_up(path: str) -> None:
    """Carry every count up to each ancestor within the subtree at ``path``: one level per statement (the
    counts of a level summed by parent), until the subtree's root. The first level read is the cells'
    counts (one row per organisation, campaign and key already)."""
    org = Organisation._meta.db_table
    stop, params = ("", []) if not path else (" AND o.path <> %s", [path])
    source = RECOUNT_TABLE
    while True:
        _temp(_NEXT)
        _exec(
            f"INSERT INTO {_NEXT} SELECT o.parent_id, f.campaign_id, f.key, SUM(f.n) FROM {source} f "  # noqa: S608
            f"JOIN {org} o ON o.id = f.organisation_id WHERE o.parent_id IS NOT NULL{stop} "
            "GROUP BY o.parent_id, f.campaign_id, f.key",
            params,
        )
        if not _rows(f"SELECT 1 FROM {_NEXT} LIMIT 1"):  # noqa: S608
            break
        _exec(f"INSERT INTO {RECOUNT_TABLE} SELECT * FROM {_NEXT}")  # noqa: S608
        _exec(f"DROP TABLE IF EXISTS {_FRONT}")
        _exec(f"ALTER TABLE {_NEXT} RENAME TO {_FRONT}")
        source = _FRONT
    _exec(f"DROP TABLE IF EXISTS {_NEXT}")
    _exec(f"DROP TABLE IF EXISTS {_FRONT}")


@dataclass(frozen=True)
class Difference:
    """A counter that is not what the rows say: ``found`` kept, ``expected`` counted from scratch."""

    organisation_id: int
    code: str
    campaign_id: int
    key: str
    expected: int
    found: int
    daily: bool = False  # the daily deltas' sum (``TallyDay``) against the expected count


def _tables(daily: bool) -> list[tuple[str, str, bool]]:
    both = [(Tally._meta.db_table, "n", False), (TallyDay._meta.db_table, "delta", True)]
    return both if daily else both[:1]


def _diff_into(table: str, column: str, path: str) -> int:
    """Fill the temporary table of differences: ``(organisation, campaign, key, expected, found)`` of
    every key that :data:`RECOUNT_TABLE` and ``table``'s sums disagree on, in the subtree at ``path``.
    How many."""
    org = Organisation._meta.db_table
    within, params = (
        ("", [])
        if not path
        else (f" JOIN {org} o ON o.id = t.organisation_id AND o.path LIKE %s", [path + "%"])
    )
    _temp(
        _DIFF,
        "(organisation_id bigint, campaign_id integer, key varchar(60), expected bigint, found bigint)",
    )
    _exec(
        f"INSERT INTO {_DIFF} SELECT x.organisation_id, x.campaign_id, x.key, SUM(x.e), SUM(x.f) FROM ("  # noqa: S608
        f"SELECT organisation_id, campaign_id, key, n AS e, 0 AS f FROM {RECOUNT_TABLE} UNION ALL "
        f"SELECT t.organisation_id, t.campaign_id, t.key, 0, t.{column} FROM {table} t{within}"
        ") x GROUP BY x.organisation_id, x.campaign_id, x.key HAVING SUM(x.e) <> SUM(x.f)",
        params,
    )
    return int(_rows(f"SELECT COUNT(*) FROM {_DIFF}")[0][0])  # noqa: S608


def differences(*, path: str = "", daily: bool = True, limit: int = 1000) -> tuple[int, list[Difference]]:
    """How many counters of the subtree at ``path`` ("" = the whole tree) differ from a recount from
    scratch, and (``daily``) how many sums of daily deltas differ from it; the first ``limit`` of them, by
    organisation code, campaign and key. Recounts (:func:`recount_into`) and drops its tables."""
    org = Organisation._meta.db_table
    total, listed = 0, list[Difference]()
    try:
        recount_into(path=path)
        for table, column, is_daily in _tables(daily):
            total += _diff_into(table, column, path)
            listed += [
                Difference(o, code, camp, key, int(e), int(f), is_daily)
                for o, code, camp, key, e, f in _rows(
                    "SELECT d.organisation_id, g.code, d.campaign_id, d.key, d.expected, d.found "  # noqa: S608
                    f"FROM {_DIFF} d JOIN {org} g ON g.id = d.organisation_id "
                    "ORDER BY g.code, d.campaign_id, d.key LIMIT %s",
                    [max(limit - len(listed), 0)],
                )
            ]
    finally:
        recount_drop()
    return total, listed


def corrections_apply(*, day: dt.date) -> tuple[int, int]:
    """Put the counters right from :data:`RECOUNT_TABLE` (the whole tree, counted by the caller): each
    that differs gets the difference added (to slot 0), and the difference between the count and the sum
    of its daily deltas is added to ``day``'s delta. How many counters and daily sums were corrected."""
    pg = connection.vendor == "postgresql"
    changed = []
    for table, column, is_daily in _tables(True):
        changed.append(_diff_into(table, column, ""))
        if is_daily:
            columns, day_value = "organisation_id, campaign_id, day, key, slot, delta", "%s, "
            conflict = "organisation_id, campaign_id, day, key, slot"
        else:
            columns, day_value = "organisation_id, campaign_id, key, slot, n", ""
            conflict = "organisation_id, campaign_id, key, slot"
        add = f"{table}.{column} + EXCLUDED.{column}" if pg else f"{column} + excluded.{column}"
        _exec(
            f"INSERT INTO {table} ({columns}) SELECT d.organisation_id, d.campaign_id, {day_value}"  # noqa: S608
            f"d.key, 0, d.expected - d.found FROM {_DIFF} d WHERE 1 = 1 "
            # In key order: rows written into an empty table lie in the order the reads want them
            # (an organisation's counters on one or two pages, not one page each).
            "ORDER BY d.organisation_id, d.campaign_id, d.key "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {column} = {add}",
            [day] if is_daily else [],
        )
    return changed[0], changed[1]
