"""Keeping the counters: add the changes a write made to its cells and to every ancestor, in its transaction.

The apps below call their own hooks with what changed, counted where it sits (a case's cell, a card's
member's cell), as deltas: ``(cell, campaign, state) → +1/-1`` aggregated over their chunk; the handlers
here (registered in ``ReportsConfig.ready``) turn them into tally keys (``keys``) and call
:func:`tallies_add`, which adds each delta to the cell **and each of its ancestors**, today's daily row
included, in two upsert statements (``INSERT … ON CONFLICT … DO UPDATE SET n = n + excluded.n``, on
PostgreSQL and SQLite ≥ 3.24 alike), the rows in key order so that two writers lock them in the same order.

The hot rows (the Centre's and the committees' directly under it) are spread over ``SLOTS`` rows: each
database connection writes the slot of its backend's process id, so concurrent transactions (which are on
different connections) rarely share one, and one transaction always writes the same slot of a row, so two
of its statements never wait on each other's slots.

Organisation moves cannot race a count: :func:`tallies_add` reads the cells' paths ``FOR KEY SHARE``, which
waits for (and blocks) the rewrite of a path by ``registry.services.organisation_move``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from django.db import connection

from partycard.core import clock
from partycard.registry.models import Organisation
from partycard.registry.models.organisation import PATH_SEPARATOR
from partycard.reports.keys import CAMPAIGNLESS, MEMBERS, card_keys, case_key, verdict_keys
from partycard.reports.models import Tally, TallyDay

__all__ = [
    "HOT_DEPTH",
    "SLOTS",
    "ancestors_of",
    "on_cards_counted",
    "on_cases_counted",
    "on_members_counted",
    "on_organisation_moved",
    "on_verdicts_counted",
    "prefixes",
    "tallies_add",
    "tallies_move",
    "upsert",
]

SLOTS = 8  # rows per hot counter: at most this many writers add to one without queueing
HOT_DEPTH = 1  # the Centre (0) and the committees directly under it (1)

Delta = tuple[int, int, str]  # (organisation id, campaign id or CAMPAIGNLESS, key)
Row = tuple[int, int, str, int]  # (organisation id, campaign id, key, slot)


def _slot() -> int:
    """This connection's slot of a hot counter (0 on SQLite: one writer at a time)."""
    if connection.vendor != "postgresql":
        return 0
    connection.ensure_connection()
    raw = connection.connection
    pid = getattr(getattr(raw, "info", None), "backend_pid", None)
    return int(pid or id(raw)) % SLOTS


def prefixes(path: str) -> list[str]:
    """Every ancestor-or-self path of ``path``, from the Centre down ("TW.", "TW.P01.", …)."""
    codes = [c for c in path.split(PATH_SEPARATOR) if c]
    return [PATH_SEPARATOR.join(codes[: i + 1]) + PATH_SEPARATOR for i in range(len(codes))]


def ancestors_of(org_ids: Iterable[int], *, lock: bool = True) -> dict[int, list[tuple[int, int]]]:
    """For each organisation: ``(id, depth)`` of itself and every ancestor. Two queries: the paths of
    ``org_ids`` (locked ``FOR KEY SHARE`` on PostgreSQL, so a move of their subtree waits for this
    transaction, or this waits for the move), then the organisations at every prefix of them."""
    ids = sorted(set(org_ids))
    if lock and connection.vendor == "postgresql":
        # FOR KEY SHARE (the ORM has no such lock): it does not wait for a member count being updated, and
        # a rewrite of the path (a unique key) waits for it.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, path FROM {Organisation._meta.db_table} WHERE id = ANY(%s::bigint[]) "  # noqa: S608
                "ORDER BY id FOR KEY SHARE",
                [ids],
            )
            paths = dict(cursor.fetchall())
    else:
        paths = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "path"))
    missing = set(ids) - set(paths)
    if missing:
        raise ValueError(f"no organisation {sorted(missing)[:5]}")
    wanted = {p for path in paths.values() for p in prefixes(path)}
    ids_at = dict(Organisation.objects.filter(path__in=wanted).values_list("path", "pk"))
    return {
        org: [(ids_at[p], depth) for depth, p in enumerate(prefixes(path)) if p in ids_at]
        for org, path in paths.items()
    }


def upsert(rows: Sequence[tuple[Row, int]], *, day: dt.date | None) -> None:
    """Add each ``n`` to its ``Tally`` row (and, with ``day``, to that day's ``TallyDay`` row), creating
    the rows missing; ``rows`` in the order to lock them, each row once."""
    if not rows:
        return
    tally, daily = Tally._meta.db_table, TallyDay._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            orgs, camps, keys, slots, ns = (list(c) for c in zip(*((*r, n) for r, n in rows), strict=True))
            source = (
                "FROM unnest(%s::bigint[], %s::integer[], %s::text[], %s::smallint[], %s::bigint[]) "
                "WITH ORDINALITY AS t(o, c, k, s, n, i) ORDER BY t.i"
            )
            cursor.execute(
                f"INSERT INTO {tally} (organisation_id, campaign_id, key, slot, n) "
                f"SELECT o, c, k, s, n {source} "
                "ON CONFLICT (organisation_id, campaign_id, key, slot) "
                f"DO UPDATE SET n = {tally}.n + EXCLUDED.n",
                [orgs, camps, keys, slots, ns],
            )
            if day is not None:
                cursor.execute(
                    f"INSERT INTO {daily} (organisation_id, campaign_id, day, key, slot, delta) "
                    f"SELECT o, c, %s, k, s, n {source} "
                    "ON CONFLICT (organisation_id, campaign_id, day, key, slot) "
                    f"DO UPDATE SET delta = {daily}.delta + EXCLUDED.delta",
                    [day, orgs, camps, keys, slots, ns],
                )
            return
        cursor.executemany(
            f"INSERT INTO {tally} (organisation_id, campaign_id, key, slot, n) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (organisation_id, campaign_id, key, slot) "
            "DO UPDATE SET n = n + excluded.n",
            [(*r, n) for r, n in rows],
        )
        if day is not None:
            cursor.executemany(
                f"INSERT INTO {daily} (organisation_id, campaign_id, day, key, slot, delta) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (organisation_id, campaign_id, day, key, slot) "
                "DO UPDATE SET delta = delta + excluded.delta",
                [(o, c, day, k, s, n) for (o, c, k, s), n in rows],
            )


def _in_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("counters change inside the transaction of the change they count")


def tallies_add(deltas: Mapping[Delta, int], *, day: dt.date | None = None) -> None:
    """Add ``deltas`` (counted at the organisation where each thing sits) to that organisation and every
    ancestor, now and on ``day`` (None: today). One upsert per table, whatever the number of deltas.

    Raises:
        RuntimeError: called outside a transaction (the counters would not roll back with the change).
    """
    _in_transaction()
    live = {d: n for d, n in deltas.items() if n}
    if not live:
        return
    chains = ancestors_of(org for org, _c, _k in live)
    slot = _slot()
    rolled: Counter[Row] = Counter()
    for (org, campaign, key), n in live.items():
        for ancestor, depth in chains[org]:
            rolled[(ancestor, campaign, key, slot if depth <= HOT_DEPTH else 0)] += n
    upsert(sorted((r, n) for r, n in rolled.items() if n), day=day or clock.today())


def tallies_move(*, organisation_id: int, old_path: str, new_path: str, day: dt.date | None = None) -> None:
    """An organisation moved from ``old_path`` to ``new_path`` with its subtree: its whole counts leave
    the ancestors it had (not the ones it keeps) and join the new ones. Its own rows, and its subtree's,
    count the same things as before: they do not change."""
    _in_transaction()
    old = set(prefixes(old_path)[:-1])
    new = set(prefixes(new_path)[:-1])
    leaving, joining = old - new, new - old
    ids_at = dict(Organisation.objects.filter(path__in=leaving | joining).values_list("path", "pk"))
    totals = Counter[tuple[int, str]]()
    for campaign, key, n in Tally.objects.filter(organisation_id=organisation_id).values_list(
        "campaign", "key", "n"
    ):
        totals[(campaign, key)] += n
    slot = _slot()
    rolled: Counter[Row] = Counter()
    for paths, sign in ((leaving, -1), (joining, +1)):
        for path in paths:
            depth = path.count(PATH_SEPARATOR) - 1
            for (campaign, key), n in totals.items():
                rolled[(ids_at[path], campaign, key, slot if depth <= HOT_DEPTH else 0)] += sign * n
    upsert(sorted((r, n) for r, n in rolled.items() if n), day=day or clock.today())


# ---- the handlers of the lower apps' hooks (registered in ReportsConfig.ready) ----


def on_members_counted(*, deltas: Mapping[int, int]) -> None:
    """``registry.hooks``: organisation id → change of its probationary and official members."""
    tallies_add({(org, CAMPAIGNLESS, MEMBERS): n for org, n in deltas.items()})


def on_organisation_moved(*, organisation_id: int, old_path: str, new_path: str) -> None:
    """``registry.hooks``: a subtree moved under another parent."""
    tallies_move(organisation_id=organisation_id, old_path=old_path, new_path=new_path)


def on_cases_counted(*, deltas: Mapping[tuple[int, int, str], int]) -> None:
    """``exchange.hooks``: (cell, campaign, case state) → change of the number of cases."""
    out: Counter[Delta] = Counter()
    for (cell, campaign, state), n in deltas.items():
        out[(cell, campaign, case_key(state))] += n
    tallies_add(out)


def on_verdicts_counted(*, deltas: Mapping[tuple[int, int, bool, bool, str], int]) -> None:
    """``exchange.hooks``: (cell, campaign, eligible, postponed, codes) → change of stored verdicts."""
    out: Counter[Delta] = Counter()
    for (cell, campaign, eligible, postponed, codes), n in deltas.items():
        for key in verdict_keys(eligible, postponed, codes):
            out[(cell, campaign, key)] += n
    tallies_add(out)


def on_cards_counted(*, deltas: Mapping[tuple[int, str, str, bool], int]) -> None:
    """``cards.hooks``: (cell, kind, state, reissue) → change of the number of cards."""
    out: Counter[Delta] = Counter()
    for (cell, kind, state, reissue), n in deltas.items():
        for key in card_keys(kind, state, reissue):
            out[(cell, CAMPAIGNLESS, key)] += n
    tallies_add(out)
