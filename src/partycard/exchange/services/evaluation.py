"""Eligibility against the registry: map a member to ``eligibility.Facts``, store verdicts, and word the
reasons from the translation catalogue. What a member change does to cases is ``services/standing.py``.

Storing verdicts tells who counts them by cell (``hooks.verdict_counts_changed``) what changed: each
member's stored verdict is read first, locked (``FOR UPDATE``), and only a verdict that differs moves a
count (from the old verdict to the new one, in the member's cell, read after the lock).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from partycard.core import clock
from partycard.exchange import hooks
from partycard.exchange.eligibility import Facts, Reason, Rules, Verdict, evaluate
from partycard.exchange.models import Campaign, Eligibility
from partycard.registry.citizen_id import citizen_id_issues
from partycard.registry.models import Member
from partycard.registry.rules import MemberFacts, member_issues, months_parse

__all__ = [
    "FACT_FIELDS",
    "evaluate_members",
    "facts_from_values",
    "facts_of",
    "reason_text",
    "reason_vi",
    "reasons_vi",
    "verdict_of",
    "verdicts_from_values",
    "verdicts_recount",
]

# The member columns the rules read: the whole-country job reads only these.
FACT_FIELDS = (
    "id",
    "full_name",
    "gender",
    "date_of_birth",
    "citizen_id",
    "date_admitted",
    "date_official",
    "status",
    "file_number",
    "old_card_number",
    "phone",
    "under_discipline",
    "under_inspection",
    "dues_unpaid_months",
    "dues_unpaid_good_reason",
    "activities_skipped_months",
    "activities_skipped_good_reason",
    "activities_suspended",
    "transfer_in_progress",
)
_FEMALE = {"F": True, "M": False}


def reason_text(reason: Reason) -> str:
    """A reason in the active language, from the catalogue (eligibility.py holds the English msgids)."""
    return reason.message(_)


def reason_vi(reason: Reason) -> str:
    """A reason in Vietnamese, whatever the active language (the API gives both)."""
    with translation.override("vi"):
        return reason.message(_)


def reasons_vi(verdict: Verdict) -> list[str]:
    """Every reason of ``verdict`` in Vietnamese, in order (what the pages list)."""
    with translation.override("vi"):
        return [r.message(_) for r in verdict.reasons]


def _months(value: Any) -> tuple[dt.date, ...]:
    """A recorded-months column: a list from the ORM, JSON text from the raw PostgreSQL path."""
    if not value or value == "[]":
        return ()
    return months_parse(json.loads(value) if isinstance(value, str) else value)


def facts_from_values(v: Mapping[str, Any]) -> Facts:
    """``Facts`` from a member's :data:`FACT_FIELDS` (a ``values()`` row or a model's attributes)."""
    options = settings.PARTYCARD
    return _facts(
        v,
        today=clock.today(),
        probation_months=options["PROBATION_MONTHS"],
        min_admission_age=options["MIN_ADMISSION_AGE"],
    )


def _facts(v: Mapping[str, Any], *, today: dt.date, probation_months: int, min_admission_age: int) -> Facts:
    """:func:`facts_from_values` with the day and settings read once by the caller (the bulk path reads
    them once per chunk: per member they cost more than the rules themselves)."""
    cid = v["citizen_id"]
    female = _FEMALE.get(v["gender"])
    if not cid:
        cid_problem: str | None = _("not recorded")
    else:
        bad = citizen_id_issues(cid, date_of_birth=v["date_of_birth"], female=female)
        cid_problem = "; ".join(bad) if bad else None
    issues = member_issues(
        MemberFacts(
            full_name=v["full_name"],
            gender=v["gender"],
            date_of_birth=v["date_of_birth"],
            citizen_id=None,  # judged above, as its own reason
            date_admitted=v["date_admitted"],
            date_official=v["date_official"],
            status=v["status"],
            file_number=v["file_number"],
            old_card_number=v["old_card_number"],
            phone=v["phone"],
        ),
        today=today,
        probation_months=probation_months,
        min_admission_age=min_admission_age,
    )
    return Facts(
        status=v["status"],
        date_official=v["date_official"],
        has_current_card=bool(v["old_card_number"]),
        citizen_id_problem=cid_problem,
        under_discipline=v["under_discipline"],
        under_inspection=v["under_inspection"],
        dues_unpaid_months=_months(v["dues_unpaid_months"]),
        dues_unpaid_good_reason=v["dues_unpaid_good_reason"],
        activities_skipped_months=_months(v["activities_skipped_months"]),
        activities_skipped_good_reason=v["activities_skipped_good_reason"],
        activities_suspended=v["activities_suspended"],
        transfer_in_progress=v["transfer_in_progress"],
        data_problems=tuple(str(i.message) for i in issues),
    )


def facts_of(member: Member) -> Facts:
    return facts_from_values({name: getattr(member, name) for name in FACT_FIELDS})


def verdict_of(member: Member, campaign: Campaign) -> Verdict:
    return evaluate(facts_of(member), campaign.rules(), today=clock.today())


def verdicts_from_values(rows: Iterable[Mapping[str, Any]], rules: Rules) -> dict[int, Verdict]:
    """The verdict of every row (each a member's :data:`FACT_FIELDS`), by member id: the bulk form of
    ``evaluate(facts_from_values(row), rules)``, with the day and the settings read once."""
    options = settings.PARTYCARD
    today, months, age = clock.today(), options["PROBATION_MONTHS"], options["MIN_ADMISSION_AGE"]
    return {
        v["id"]: evaluate(
            _facts(v, today=today, probation_months=months, min_admission_age=age), rules, today=today
        )
        for v in rows
    }


def _codes(verdict: Verdict) -> str:
    return ",".join(sorted(verdict.codes)) if verdict.reasons else ""


Stored = tuple[bool, bool, str]  # a stored verdict: eligible, postponed, codes


def _stored(campaign_id: int, member_ids: Sequence[int]) -> dict[int, Stored]:
    """The verdicts stored for these members, locked (``FOR UPDATE``) so that a concurrent evaluation of
    one of them waits and then reads what this one wrote: each change is counted once."""
    if not member_ids:
        return {}
    table = Eligibility._meta.db_table
    if connection.vendor == "postgresql":
        # One index probe per member (LATERAL on the (campaign, member) key), whatever the statistics say.
        # `member_id = ANY(<array>)` let the planner scan the campaign's verdicts stored so far and filter
        # them, since during a first evaluation the statistics still show the campaign empty: every chunk
        # then read all earlier chunks' rows, O(n²) over a job (0.63 s a chunk with 4 M stored, 5.6 M
        # members; bound as integer[] the filter was not even hashed: 1.8 s a chunk at 200,000). The ids
        # are sorted: rows are locked in that order, the same in every transaction (no deadlock).
        sql = (
            "SELECT e.member_id, e.eligible, e.postponed, e.codes FROM unnest(%s::bigint[]) AS m(id) "  # noqa: S608
            "CROSS JOIN LATERAL (SELECT member_id, eligible, postponed, codes "
            f"FROM {table} WHERE campaign_id = %s AND member_id = m.id FOR UPDATE) e"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [sorted(member_ids), campaign_id])
            return {m: (e, p, c) for m, e, p, c in cursor.fetchall()}
    rows = Eligibility.objects.filter(campaign_id=campaign_id, member_id__in=list(member_ids))
    return {m: (e, p, c) for m, e, p, c in rows.values_list("member_id", "eligible", "postponed", "codes")}


def _cells(member_ids: Sequence[int]) -> dict[int, int]:
    """Member id → cell id, read after :func:`_stored` has locked the verdicts (a member moved by a
    transaction that committed meanwhile is seen in their new cell, where their counts went)."""
    if connection.vendor == "postgresql":  # one array parameter, not an IN list of 5,000 (42 → 12 ms a chunk)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, organisation_id FROM {Member._meta.db_table} WHERE id = ANY(%s::bigint[])",  # noqa: S608
                [list(member_ids)],
            )
            return dict(cursor.fetchall())
    return dict(
        Member.objects.filter(pk__in=list(member_ids)).order_by().values_list("pk", "organisation_id")
    )


def _counted(
    campaign_id: int,
    verdicts: Iterable[tuple[int, Verdict]],
    before: Mapping[int, Stored],
    cells: Mapping[int, int],
) -> Counter[hooks.VerdictCount]:
    """The count changes of storing ``verdicts`` over ``before``: a verdict that did not change counts
    nothing; one that did leaves its old count for its new one, in the member's cell."""
    counts: Counter[hooks.VerdictCount] = Counter()
    for member_id, v in verdicts:
        new = (v.eligible, v.postponed, _codes(v))
        old = before.get(member_id)
        if old == new:
            continue
        cell = cells[member_id]
        if old is not None:
            counts[(cell, campaign_id, *old)] -= 1
        counts[(cell, campaign_id, *new)] += 1
    return counts


def verdicts_recount(*, moves: Sequence[tuple[int, int, int]], actor: Any) -> None:
    """Members changed cell (``registry.hooks.members_moved``: member id, old cell, new cell): their stored
    verdicts, in every campaign, now count in the new cell. The verdicts are locked first, as an
    evaluation locks them, so the two take turns."""
    where = {member: (old, new) for member, old, new in moves}
    counts: Counter[hooks.VerdictCount] = Counter()
    rows = (
        Eligibility.objects.select_for_update()
        .filter(member_id__in=list(where))
        .order_by("campaign_id", "member_id")
        .values_list("member_id", "campaign_id", "eligible", "postponed", "codes")
    )
    for member, campaign_id, eligible, postponed, codes in rows:
        old, new = where[member]
        counts[(old, campaign_id, eligible, postponed, codes)] -= 1
        counts[(new, campaign_id, eligible, postponed, codes)] += 1
    hooks.verdict_counts_changed(counts)


def _store(campaign: Campaign, verdicts: Mapping[int, Verdict]) -> None:
    before = _stored(campaign.pk, list(verdicts))
    cells = _cells(list(verdicts))
    at = clock.now()
    rows = [
        Eligibility(
            campaign=campaign,
            member_id=member_id,
            eligible=v.eligible,
            postponed=v.postponed,
            codes=_codes(v),
            evaluated_at=at,
        )
        for member_id, v in verdicts.items()
    ]
    Eligibility.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["campaign", "member"],
        update_fields=["eligible", "postponed", "codes", "evaluated_at"],
    )
    hooks.verdict_counts_changed(_counted(campaign.pk, verdicts.items(), before, cells))


# Verdicts per upsert statement on PostgreSQL: small enough that the rules of the next batch run in Python
# while the server writes this one, large enough that a statement's overhead does not count.
_PIPELINE_BATCH = 1000

# A verdict not read before (``_stored``) is inserted; one read is updated. Should another transaction
# insert a verdict this one did not see (both evaluating a member for the first time), the conflict leaves
# that row alone (``WHERE`` of the update) and it is not returned: it is read and written again after the
# pipeline, so its count moves from the verdict the other transaction stored.
_UPSERT = (
    "INSERT INTO {table} AS x (campaign_id, member_id, eligible, postponed, codes, evaluated_at) "
    "SELECT %s, m, e, p, c, %s FROM unnest(%s::bigint[], %s::boolean[], %s::boolean[], %s::text[]) "
    "AS t(m, e, p, c) "
    "ON CONFLICT (campaign_id, member_id) DO UPDATE SET eligible = EXCLUDED.eligible, "
    "postponed = EXCLUDED.postponed, codes = EXCLUDED.codes, evaluated_at = EXCLUDED.evaluated_at "
    "WHERE x.member_id = ANY(%s::bigint[]) RETURNING x.member_id"
)


def _upsert_params(
    campaign_id: int, verdicts: Iterable[tuple[int, Verdict]], at: dt.datetime, seen: Iterable[int] = ()
) -> list[Any]:
    """The parameters of :data:`_UPSERT`: the verdicts as four arrays, not a model instance and six
    parameters per row as ``bulk_create(update_conflicts=True)`` makes them; ``seen``: the members whose
    stored verdict was read (and locked) before."""
    ids: list[int] = []
    eligible: list[bool] = []
    postponed: list[bool] = []
    codes: list[str] = []
    for member_id, v in verdicts:
        ids.append(member_id)
        eligible.append(v.eligible)
        postponed.append(v.postponed)
        codes.append(_codes(v))
    return [campaign_id, at, ids, eligible, postponed, codes, list(seen)]


def _evaluate_postgres(campaign: Campaign, rows: QuerySet[Member]) -> dict[int, Verdict]:
    """Read, judge and store in batches, pipelined (psycopg's pipeline mode): each batch's upsert is sent
    without waiting for it, so PostgreSQL writes one batch while Python judges the next — the two halves
    of the work run on two cores instead of taking turns. The same verdicts and rows as the ORM path."""
    rules = campaign.rules()
    try:
        sql, params = rows.order_by("pk").values_list(*FACT_FIELDS).query.sql_with_params()
    except EmptyResultSet:  # e.g. an empty list of member ids: nothing to read
        return {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        records = cursor.fetchall()
    if not records:
        return {}
    ids = [r[0] for r in records]
    before = _stored(campaign.pk, ids)
    cells = _cells(ids)
    upsert = _UPSERT.format(table=Eligibility._meta.db_table)
    at = clock.now()
    verdicts: dict[int, Verdict] = {}
    sent: list[tuple[Any, list[int]]] = []
    with connection.wrap_database_errors, connection.connection.pipeline():
        for start in range(0, len(records), _PIPELINE_BATCH):
            batch = verdicts_from_values(
                (dict(zip(FACT_FIELDS, r, strict=True)) for r in records[start : start + _PIPELINE_BATCH]),
                rules,
            )
            cursor = connection.connection.cursor()  # one per batch: its returned rows are read after
            values = _upsert_params(campaign.pk, batch.items(), at, (m for m in batch if m in before))
            cursor.execute(upsert, values)  # sent, not awaited
            sent.append((cursor, list(batch)))
            verdicts.update(batch)
    written: set[int] = set()
    with connection.wrap_database_errors:
        for cursor, _batch in sent:
            written.update(r[0] for r in cursor.fetchall())
            cursor.close()
    raced = [m for m in ids if m not in written]
    if raced:  # inserted meanwhile by another transaction: count from what it stored, then write ours
        before.update(_stored(campaign.pk, raced))
        with connection.cursor() as cursor:
            again = [(m, verdicts[m]) for m in raced]
            cursor.execute(upsert, _upsert_params(campaign.pk, again, at, raced))
    hooks.verdict_counts_changed(_counted(campaign.pk, verdicts.items(), before, cells))
    return verdicts


def evaluate_members(
    campaign: Campaign, member_ids: Sequence[int] | None = None, **where: Any
) -> dict[int, Verdict]:
    """Evaluate and store the verdicts of the given members (or those matching ``where``).

    Atomic whoever calls it: the verdicts and the counters they move (``hooks.verdict_counts_changed``)
    commit together or not at all."""
    rows = (
        Member.objects.filter(pk__in=member_ids) if member_ids is not None else Member.objects.filter(**where)
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _evaluate_postgres(campaign, rows)
        verdicts = verdicts_from_values(rows.values(*FACT_FIELDS), campaign.rules())
        _store(campaign, verdicts)
        return verdicts
