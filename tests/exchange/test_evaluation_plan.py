"""The evaluation job's reads of a chunk on PostgreSQL (found by ``make bench``, issue 19). psycopg binds a
Python list of small ints as ``integer[]`` (``int2[]`` even); ``member_id = ANY(<integer[]>)`` against the
``bigint`` column is the cross-type ``int8 = int4``, which has no hash support, so PostgreSQL compared each
stored verdict of the campaign with every one of the chunk's 5,000 ids in turn — O(n²) over a job (84 s for
200,000 members; 12 s once the ids are ``bigint[]``, whose ``=`` PostgreSQL 14+ hashes for such a filter).
EXPLAIN does not show whether a filter is hashed, so the first test checks the bound type itself."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from partycard.exchange.services import evaluation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _captured(call: Any) -> str:
    with CaptureQueriesContext(connection) as queries:
        call()
    (query,) = queries.captured_queries
    return query["sql"]


def test_the_member_ids_of_a_chunk_are_compared_as_bigint(campaign: Any) -> None:
    sql = _captured(lambda: evaluation._stored(campaign.pk, [3, 1, 2]))
    assert re.search(r"member_id = ANY\('\{3,1,2\}'(::\w+\[\])?::bigint\[\]\)", sql), sql


def test_the_cells_of_a_chunk_are_read_by_the_member_key() -> None:
    with transaction.atomic():
        sql = _captured(lambda: evaluation._cells([3, 1, 2]))
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
    assert re.search(r"::bigint\[\]\)", sql), sql
    assert "Index Cond: (id = ANY (" in plan, plan
