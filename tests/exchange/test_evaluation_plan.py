"""The evaluation job's reads of a chunk on PostgreSQL (found by ``make bench``, issue 19). The read of a
chunk's stored verdicts was ``member_id = ANY(<array>)``; during a first evaluation the statistics still
show the campaign empty, so the planner scanned the campaign's verdicts stored so far and filtered them
through the chunk's ids: every chunk read all earlier chunks' rows, O(n²) over a job (and with the ids
bound as ``integer[]``, which ``int8 = int4`` cannot hash, 84 s for 200,000 members). Now one index probe
per member on the (campaign, member) key, in any statistics: the plan checked here is the one the
planner must take, with the member's id in the index condition."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from partycard.exchange.services import evaluation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _captured_plan(call: Any) -> tuple[str, str]:
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            call()
        (query,) = queries.captured_queries
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + query["sql"])
            return query["sql"], "\n".join(row[0] for row in cursor.fetchall())


def test_the_stored_verdicts_of_a_chunk_are_one_index_probe_per_member(campaign: Any) -> None:
    sql, plan = _captured_plan(lambda: evaluation._stored(campaign.pk, [3, 1, 2]))
    # A probe per member: by the (campaign, member) key, or by the member's own index with the campaign
    # as a filter (a member has a verdict per campaign, a handful) — never a scan of the campaign's rows.
    assert "Nested Loop" in plan and "Function Scan on unnest m" in plan, plan
    assert re.search(r"Index Cond: \(.*member_id = m\.id\)", plan), plan
    assert re.search(r"'\{1,2,3\}'", sql), sql  # sorted: the rows are locked in member order


def test_the_cells_of_a_chunk_are_read_by_the_member_key() -> None:
    sql, plan = _captured_plan(lambda: evaluation._cells([3, 1, 2]))
    assert re.search(r"::bigint\[\]\)", sql), sql
    assert "Index Cond: (id = ANY (" in plan, plan
