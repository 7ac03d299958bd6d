"""The completeness report at scale (issue 17): its figures at the Centre, a province and a commune, and one
member list, on a seeded PostgreSQL database (``partycard seed``), with a share of open population tasks.

Run on a database already seeded (it is not dropped; tasks are added once, 1 member in ``BENCH_TASK_EVERY``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h4_complete PYTHONPATH=src \
        .venv/bin/python bench/completeness_bench.py

``BENCH_READ_ONLY=1`` measures a database that is someone else's: read-only transactions, nothing added.
Prints the median of ``BENCH_RUNS`` runs of each read and the plan of the Centre's grouped aggregate.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partycard.settings.dev")
django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from partycard.core import clock  # noqa: E402
from partycard.population.models import DataTask  # noqa: E402
from partycard.registry.choices import OrgLevel  # noqa: E402
from partycard.registry.models import Member, Organisation  # noqa: E402
from partycard.reports import completeness as c  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
EVERY = int(os.environ.get("BENCH_TASK_EVERY", "20"))
# 1: a database that is not the bench's own (another bench's): every transaction read-only, no task added.
READ_ONLY = os.environ.get("BENCH_READ_ONLY") == "1"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(RUNS):
        cache.clear()  # the figures of a large subtree are cached: measure the pass itself
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    if READ_ONLY:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    members = Member.objects.count()
    if not READ_ONLY and not DataTask.objects.exists():
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {DataTask._meta.db_table} "
                "(member_id, cell_id, reasons, found, status, note, raised_at)"
                f" SELECT id, organisation_id, %s, %s, 'open', '', %s FROM {Member._meta.db_table}"
                " WHERE id %% %s = 0",
                ['["date_of_birth"]', "{}", clock.now(), EVERY],
            )
    tasks = DataTask.objects.filter(status="open").count()
    centre = Organisation.objects.get(parent__isnull=True)
    province = Organisation.objects.filter(level=OrgLevel.CENTRAL_COMMITTEE).order_by("code").first()
    commune = Organisation.objects.filter(level=OrgLevel.COMMUNE, path__startswith=province.path).first()
    print(f"members {members:,}, organisations {Organisation.objects.count():,}, open tasks {tasks:,}")
    for name, org in (("centre", centre), ("province", province), ("commune", commune)):
        t_get, total = timed(lambda org=org: c.completeness_get(None, code=org.code))
        t_children, children = timed(lambda org=org: c.completeness_children(None, code=org.code))
        assert sum(ch.members for ch in children) == total.members
        print(
            f"{name:9} {org.code:12} members {total.members:>9,}  incomplete {total.incomplete:>9,}  "
            f"get {t_get * 1000:8.1f} ms  children ({len(children)}) {t_children * 1000:8.1f} ms"
        )
    c.completeness_report(None, code=centre.code)
    start = time.perf_counter()
    c.completeness_report(None, code=centre.code)
    print(f"centre again, from the cache: {(time.perf_counter() - start) * 1000:.1f} ms")
    t_list, rows = timed(
        lambda: list(
            c.completeness_members(None, code=province.code, problem=c.Problem.CITIZEN_ID_MISMATCH)[:100]
        )
    )
    print(f"member list (province, mismatch, first 100): {t_list * 1000:.1f} ms, {len(rows)} rows")
    with CaptureQueriesContext(connection) as queries:
        c.completeness_children(None, code=centre.code)
    grouped = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    with connection.cursor() as cursor:
        for sql in grouped:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print("\n".join(r[0] for r in cursor.fetchall()), file=sys.stderr)


if __name__ == "__main__":
    main()
