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
from typing import Any

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


def progress_of(
    org: Organisation, figures: Any, *, on: dt.date | None = None, has_children: bool = False
) -> Progress:
    """A :class:`Progress` from ``figures`` (key → count): every metric present, zeros included."""
    counts = {m.value: int(figures.get(m.value, 0)) for m in Metric}
    reasons = {
        key.removeprefix(REASON_PREFIX): int(n)
        for key, n in sorted(figures.items())
        if key.startswith(REASON_PREFIX) and n
    }
    return Progress(
        code=org.code,
        name=org.name,
        level=org.level,
        path=org.path,
        members=int(figures.get(MEMBERS, 0)),
        counts=counts,
        reasons=reasons,
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
_FRONT, _NEXT, _CODES = "reports_recount_front", "reports_recount_next", "reports_recount_codes"


def _exec(sql: str, params: Sequence[Any] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def _rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


def recount_drop() -> None:
    """Drop the temporary tables of :func:`recount_into`."""
    for table in (RECOUNT_TABLE, _FRONT, _NEXT, _CODES):
        _exec(f"DROP TABLE IF EXISTS {table}")


def _temp(table: str) -> None:
    _exec(f"DROP TABLE IF EXISTS {table}")
    _exec(
        f"CREATE TEMPORARY TABLE {table} "
        "(organisation_id bigint NOT NULL, campaign_id integer NOT NULL, key varchar(60) NOT NULL, "
        "n bigint NOT NULL)"
    )


def _quoted(value: str) -> str:
    """A string literal of a key (keys are letters, digits, ``_`` and ``:``: checked, never user input)."""
    if not value.replace("_", "").replace(":", "").isalnum():
        raise ValueError(f"not a key: {value!r}")
    return f"'{value}'"


def recount_into(*, path: str = "", only: int | None = None) -> None:
    """Count every key of every organisation in the subtree at ``path`` ("" = the whole tree) from the
    rows, into the temporary table :data:`RECOUNT_TABLE` (one row per organisation, campaign and key).
    With ``only`` (an organisation id, normally the subtree's root), every count of the subtree goes to
    that one organisation and nothing is carried up: its own figures, without the others'. The caller
    reads the table, then calls :func:`recount_drop`."""
    org = Organisation._meta.db_table
    member, case, card, verdict = (
        Member._meta.db_table,
        Case._meta.db_table,
        Card._meta.db_table,
        Eligibility._meta.db_table,
    )

    # Each thing is counted in its cell (``cell`` names the column holding it); under a path, only the
    # cells of the subtree.
    def within(cell: str) -> tuple[str, list[Any]]:
        if not path:
            return "", []
        return f" JOIN {org} o ON o.id = {cell} AND o.path LIKE %s", [path + "%"]

    def counted(cell: str, campaign: str, key: str, source: str, where: str, by: list[str]) -> str:
        """``INSERT … SELECT`` of the counts of ``key`` (an SQL expression) grouped by cell and ``by``."""
        groups = ([cell] if only is None else []) + by
        return (
            f"INSERT INTO {RECOUNT_TABLE} (organisation_id, campaign_id, key, n) "
            f"SELECT {cell if only is None else int(only)}, {campaign}, {key}, COUNT(*) {source}"
            + (f" WHERE {where}" if where else "")
            + (f" GROUP BY {', '.join(groups)}" if groups else "")
        )

    _temp(RECOUNT_TABLE)
    active = ", ".join(_quoted(s) for s in sorted(ACTIVE_STATUSES))
    join, params = within("m.organisation_id")
    members = f"FROM {member} m{join}"
    _exec(
        counted(
            "m.organisation_id", str(CAMPAIGNLESS), f"'{MEMBERS}'", members, f"m.status IN ({active})", []
        ),
        params,
    )
    join_c, params_c = within("c.organisation_id")
    _exec(
        counted(
            "c.organisation_id",
            "c.campaign_id",
            "'case_' || c.state",
            f"FROM {case} c{join_c}",
            "",
            ["c.campaign_id", "c.state"],
        ),
        params_c,
    )
    cards = f"FROM {card} c JOIN {member} m ON m.id = c.member_id{join}"
    new = ("m.organisation_id", str(CAMPAIGNLESS))
    _exec(counted(*new, "'card_' || c.state", cards, "c.kind = 'new'", ["c.state"]), params)
    reissued = f"'{Metric.REISSUED.value}'"
    _exec(counted(*new, reissued, cards, "c.kind = 'new' AND c.case_id IS NULL", []), params)
    old = (
        "CASE c.state "
        + " ".join(f"WHEN {_quoted(state)} THEN {_quoted(key)}" for state, key in sorted(OLD_KEYS.items()))
        + f" ELSE '{Metric.OLD_OTHER.value}' END"
    )
    _exec(counted(*new, old, cards, "c.kind = 'old'", [old]), params)
    verdicts = f"FROM {verdict} e JOIN {member} m ON m.id = e.member_id{join}"
    head = (
        f"CASE WHEN e.eligible THEN '{Metric.ELIGIBLE.value}' WHEN e.postponed THEN "
        f"'{Metric.POSTPONED.value}' ELSE '{Metric.NOT_ELIGIBLE.value}' END"
    )
    _exec(counted("m.organisation_id", "e.campaign_id", head, verdicts, "", ["e.campaign_id", head]), params)
    # The reasons: the refused verdicts grouped by their codes first (a few combinations per cell), then
    # one pass over those groups per code present.
    cell = "m.organisation_id" if only is None else str(int(only))
    _exec(f"DROP TABLE IF EXISTS {_CODES}")
    _exec(
        f"CREATE TEMPORARY TABLE {_CODES} AS SELECT {cell} AS organisation_id, "
        f"e.campaign_id AS campaign_id, e.codes AS codes, COUNT(*) AS n {verdicts} "
        f"WHERE NOT e.eligible GROUP BY {'m.organisation_id, ' if only is None else ''}"
        "e.campaign_id, e.codes",
        params,
    )
    combinations = _rows(f"SELECT DISTINCT codes FROM {_CODES}")  # noqa: S608
    present = sorted({c for (codes,) in combinations for c in codes.split(",") if c})
    for code in present:
        _exec(
            f"INSERT INTO {RECOUNT_TABLE} (organisation_id, campaign_id, key, n) "  # noqa: S608
            f"SELECT organisation_id, campaign_id, {_quoted(REASON_PREFIX + code)}, SUM(n) "
            f"FROM {_CODES} WHERE ',' || codes || ',' LIKE %s GROUP BY organisation_id, campaign_id",
            [f"%,{code},%"],
        )
    _exec(f"DROP TABLE {_CODES}")
    if only is None:
        _roll_up(path)


def _roll_up(path: str) -> None:
    """Carry every count up to each ancestor within the subtree at ``path``: one level per statement (the
    counts of a level summed by parent), until the subtree's root."""
    org = Organisation._meta.db_table
    _temp(_FRONT)
    _exec(
        f"INSERT INTO {_FRONT} SELECT organisation_id, campaign_id, key, SUM(n) FROM {RECOUNT_TABLE} "  # noqa: S608
        "GROUP BY organisation_id, campaign_id, key"
    )
    stop, params = ("", []) if not path else (" AND o.path <> %s", [path])
    while True:
        _temp(_NEXT)
        _exec(
            f"INSERT INTO {_NEXT} SELECT o.parent_id, f.campaign_id, f.key, SUM(f.n) FROM {_FRONT} f "  # noqa: S608
            f"JOIN {org} o ON o.id = f.organisation_id WHERE o.parent_id IS NOT NULL{stop} "
            "GROUP BY o.parent_id, f.campaign_id, f.key",
            params,
        )
        if not _rows(f"SELECT 1 FROM {_NEXT} LIMIT 1"):  # noqa: S608
            break
        _exec(f"INSERT INTO {RECOUNT_TABLE} SELECT * FROM {_NEXT}")  # noqa: S608
        _exec(f"DROP TABLE {_FRONT}")
        _exec(f"ALTER TABLE {_NEXT} RENAME TO {_FRONT}")
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


def _against(table: str, column: str, path: str, only: int | None = None) -> tuple[str, list[Any]]:
    """``(organisation, campaign, key, expected, found)`` of every key that :data:`RECOUNT_TABLE` and
    ``table`` disagree on, in the subtree at ``path`` (or at the one organisation ``only``): a query and
    its parameters."""
    org = Organisation._meta.db_table
    within: str = ""
    params: list[Any] = []
    if only is not None:
        within, params = " WHERE t.organisation_id = %s", [int(only)]
    elif path:
        within, params = f" JOIN {org} o ON o.id = t.organisation_id AND o.path LIKE %s", [path + "%"]
    sql = (
        "SELECT x.organisation_id, x.campaign_id, x.key, SUM(x.e) AS expected, SUM(x.f) AS found FROM ("  # noqa: S608
        f"SELECT organisation_id, campaign_id, key, n AS e, 0 AS f FROM {RECOUNT_TABLE} UNION ALL "
        f"SELECT t.organisation_id, t.campaign_id, t.key, 0, t.{column} FROM {table} t{within}"
        ") x WHERE 1 = 1 GROUP BY x.organisation_id, x.campaign_id, x.key HAVING SUM(x.e) <> SUM(x.f)"
    )
    return sql, params


def _tables(daily: bool) -> list[tuple[str, str, bool]]:
    both = [(Tally._meta.db_table, "n", False), (TallyDay._meta.db_table, "delta", True)]
    return both if daily else both[:1]


def differences(
    *, path: str = "", only: int | None = None, daily: bool = True, limit: int = 1000
) -> tuple[int, list[Difference]]:
    """How many counters of the subtree at ``path`` (or of the one organisation ``only`` at its root)
    differ from a recount from scratch, and (``daily``) how many sums of daily deltas differ from it; the
    first ``limit`` of them, by organisation code, campaign and key. Recounts (:func:`recount_into`) and
    drops its table."""
    recount_into(path=path, only=only)
    org = Organisation._meta.db_table
    total, listed = 0, list[Difference]()
    try:
        for table, column, is_daily in _tables(daily):
            sql, params = _against(table, column, path, only)
            total += int(_rows(f"SELECT COUNT(*) FROM ({sql}) d", params)[0][0])  # noqa: S608
            listed += [
                Difference(o, code, camp, key, int(e), int(f), is_daily)
                for o, code, camp, key, e, f in _rows(
                    f"SELECT d.organisation_id, g.code, d.campaign_id, d.key, d.expected, d.found "  # noqa: S608
                    f"FROM ({sql}) d JOIN {org} g ON g.id = d.organisation_id "
                    "ORDER BY g.code, d.campaign_id, d.key LIMIT %s",
                    [*params, max(limit - len(listed), 0)],
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
        sql, params = _against(table, column, "")
        columns = (
            "organisation_id, campaign_id, day, key, slot, delta"
            if is_daily
            else ("organisation_id, campaign_id, key, slot, n")
        )
        values = (
            "d.organisation_id, d.campaign_id, %s, d.key, 0, d.expected - d.found"
            if is_daily
            else ("d.organisation_id, d.campaign_id, d.key, 0, d.expected - d.found")
        )
        conflict = (
            "organisation_id, campaign_id, day, key, slot"
            if is_daily
            else ("organisation_id, campaign_id, key, slot")
        )
        add = f"{table}.{column} + EXCLUDED.{column}" if pg else f"{column} + excluded.{column}"
        count = int(_rows(f"SELECT COUNT(*) FROM ({sql}) d", params)[0][0])  # noqa: S608
        _exec(
            f"INSERT INTO {table} ({columns}) SELECT {values} FROM ({sql}) d WHERE 1 = 1 "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO UPDATE SET {column} = {add}",
            ([day] if is_daily else []) + params,
        )
        changed.append(count)
    return changed[0], changed[1]
