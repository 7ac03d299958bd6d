"""Eligibility benchmark (issue 4): the whole country evaluated for a campaign through the real job path.

Runs against a database that already holds a seeded registry (it is NOT dropped)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_elig .venv/bin/partycard migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_elig .venv/bin/partycard seed --members 5600000
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_elig \
        .venv/bin/python bench/eligibility_bench.py

Environment:
    BENCH_DATABASE_URL  the seeded database (default as above)
    BENCH_REPEATS       first evaluations, each of a new campaign (default 2), and as many re-runs of the
                        first campaign (verdicts already stored: the upsert path)
    BENCH_CHUNK         members per chunk (default: ``start_evaluation``'s own, JOB_CHUNK_SIZE × 5)
    BENCH_RULES_SAMPLE  members for the pure-Python rule timings (default 200,000)

Steps: delete the verdicts of earlier bench campaigns (``bench-…``) and VACUUM the table; the raw baselines
(``COPY (SELECT <FACT_FIELDS> FROM registry_member) TO STDOUT``, read and discarded; the rules alone on a
sample in memory; a ``COPY`` of as many verdict rows, generated in memory first, into an index-free copy
of the verdict table); then, per repeat, ``start_evaluation(enqueue=False)`` + ``job_run`` for a fresh
campaign, timed as one wall time, then the re-runs. The time spent in the rules (Python) is measured by
wrapping the evaluation module's ``verdicts_from_values``. Bar: 5.6 M members in < 5 minutes (≥ 18,667 rows/s
at any size). Writes ``bench/results/eligibility-<members>.json`` and prints a table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from common import env_int, log, machine_info  # bench/common.py (bench/ is the script's dir)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/partycard_elig"
NATIONAL = 5_600_000
BAR_SECONDS = 300.0  # the whole country (5.6 M members), at most
BAR_ROWS_PER_S = NATIONAL / BAR_SECONDS


PG_SETTINGS = (
    "autovacuum",
    "shared_buffers",
    "work_mem",
    "maintenance_work_mem",
    "max_wal_size",
    "synchronous_commit",
    "jit",
)


def checkpoint(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def table_size(url: str, table: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pg_relation_size(%s), pg_indexes_size(%s), pg_total_relation_size(%s)",
            [table, table, table],
        ).fetchone()
    assert row is not None
    return {"heap_bytes": row[0], "index_bytes": row[1], "total_bytes": row[2]}


# --------------------------------------------------------------------------------------------- baselines


def copy_out_baseline(url: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """The member columns the rules read, out of PostgreSQL as fast as it sends them (then discarded)."""
    size, rows = 0, 0
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        t0 = time.perf_counter()
        with cur.copy(f"COPY (SELECT {', '.join(fields)} FROM registry_member) TO STDOUT") as copy:
            for block in copy:
                size += len(block)
                rows += bytes(block).count(b"\n")
        seconds = time.perf_counter() - t0
    return {"rows": rows, "bytes": size, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}


def copy_in_baseline(url: str, members: int) -> dict[str, Any]:
    """As many verdict rows as members, generated in memory, then COPY'd into an index-free table."""
    at = "2026-11-25 00:00:00+00"
    t0 = time.perf_counter()
    lines = [
        f"1\t{i}\tt\tf\t\t{at}\n" if i % 11 else f"1\t{i}\tf\tf\tno_current_card\t{at}\n"
        for i in range(1, members + 1)
    ]
    blocks = ["".join(lines[i : i + 100_000]).encode() for i in range(0, len(lines), 100_000)]
    del lines
    generate = time.perf_counter() - t0
    checkpoint(url)
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_verdicts")
        conn.execute(
            "CREATE TABLE bench_verdicts (LIKE exchange_eligibility INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
        conn.commit()
        t0 = time.perf_counter()
        cols = "campaign_id, member_id, eligible, postponed, codes, evaluated_at"
        with conn.cursor() as cur, cur.copy(f"COPY bench_verdicts ({cols}) FROM STDIN") as copy:
            for block in blocks:
                copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - t0
        conn.execute("DROP TABLE bench_verdicts")
        conn.commit()
    return {
        "rows": members,
        "bytes": sum(len(b) for b in blocks),
        "generate_seconds": round(generate, 3),
        "seconds": round(seconds, 3),
        "rows_per_s": round(members / seconds),
    }


def rules_baseline(sample: int) -> dict[str, Any]:
    """The rules alone, in memory: ``facts_from_values`` + ``evaluate`` per member, ``evaluate`` alone on
    prebuilt ``Facts``, and the bulk path's ``verdicts_from_values`` (the day and settings read once)."""
    from partycard.core import clock
    from partycard.exchange.eligibility import Rules, evaluate
    from partycard.exchange.services import evaluation
    from partycard.registry.models import Member

    rows = list(Member.objects.order_by("pk").values(*evaluation.FACT_FIELDS)[:sample])
    rules = Rules(cut_off=dt.date(2026, 6, 30))
    today = clock.today()  # conduct is judged over the year to the day of evaluation, as the job does
    best: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> None:
        t0 = time.perf_counter()
        fn()
        seconds = time.perf_counter() - t0
        best[name] = min(best.get(name, seconds), seconds)

    facts = [evaluation.facts_from_values(v) for v in rows]
    for _ in range(3):
        timed("facts_from_values", lambda: [evaluation.facts_from_values(v) for v in rows])
        timed("evaluate", lambda: [evaluate(f, rules, today=today) for f in facts])
        timed("bulk_judge", lambda: evaluation.verdicts_from_values(rows, rules))
    n = len(rows)
    return {
        "rows": n,
        **{f"{k}_us_per_row": round(v / n * 1e6, 2) for k, v in best.items()},
        "per_member_path_rows_per_s": round(n / (best["facts_from_values"] + best["evaluate"])),
        "bulk_judge_rows_per_s": round(n / best["bulk_judge"]),
        "evaluate_alone_rows_per_s": round(n / best["evaluate"]),
    }


# --------------------------------------------------------------------------------------------- the job


class RulesTimer:
    """Wraps the evaluation module's ``verdicts_from_values`` (the rules, in Python) to add up its time. On
    PostgreSQL the writes run on the server meanwhile (pipelined): the rest of the wall did not overlap."""

    def __init__(self) -> None:
        from partycard.exchange.services import evaluation

        self.module = evaluation
        self.seconds = 0.0
        self.original = evaluation.verdicts_from_values

    def __enter__(self) -> RulesTimer:
        judge = self.original

        def timed_judge(rows: Any, rules: Any) -> Any:
            t0 = time.perf_counter()
            verdicts = judge(rows, rules)
            self.seconds += time.perf_counter() - t0
            return verdicts

        self.module.verdicts_from_values = timed_judge  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        self.module.verdicts_from_values = self.original  # type: ignore[assignment]


def run_job(url: str, actor: Any, campaign: Any, chunk: int | None, label: str) -> dict[str, Any]:
    from django.db import connection

    from partycard.exchange.jobs import start_evaluation
    from partycard.exchange.models import Eligibility
    from partycard.jobs.services import job_run

    checkpoint(url)
    load_before = os.getloadavg()
    with RulesTimer() as rules:
        t0 = time.perf_counter()
        job = start_evaluation(actor=actor, campaign=campaign, chunk=chunk, enqueue=False)
        job = job_run(job.pk)
        wall = time.perf_counter() - t0
    connection.close()
    stored = Eligibility.objects.filter(campaign=campaign).count()
    result = {
        "label": label,
        "campaign": campaign.code,
        "job": job.pk,
        "status": job.status,
        "chunks": job.chunk_count,
        "chunk_size": job.params["chunk"],
        "total": job.total,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "stored": stored,
        "wall_seconds": round(wall, 2),
        "rows_per_s": round(job.succeeded / wall),
        "rules_seconds": round(rules.seconds, 2),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }
    log(
        f"    {label}: {job.succeeded:,} members in {wall:.1f} s = {result['rows_per_s']:,} rows/s "
        f"(rules in Python {rules.seconds:.0f} s)"
    )
    return result


def cleanup(url: str) -> None:
    """Remove the verdicts and campaigns of earlier bench runs (raw SQL: millions of rows). Their job rows
    stay (small), and so do the campaigns of bulk_transition_bench.py, which hold cases."""
    with psycopg.connect(url) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM exchange_campaign c WHERE code LIKE 'bench-%' "
                "AND NOT EXISTS (SELECT 1 FROM exchange_case WHERE campaign_id = c.id)"
            )
        ]
        if ids:
            conn.execute("DELETE FROM exchange_eligibility WHERE campaign_id = ANY(%s)", [ids])
            conn.execute("DELETE FROM exchange_campaign WHERE id = ANY(%s)", [ids])
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE) exchange_eligibility")


# --------------------------------------------------------------------------------------------- report


def rows_of(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    members = results["members"]
    out = results["copy_out"]
    inn = results["copy_in"]
    raw = out["seconds"] + inn["seconds"]
    rules = results["rules"]
    rows: list[tuple[str, str, str, str]] = [
        ("measure", "result", "bar", ""),
        (
            "raw: COPY (SELECT FACT_FIELDS FROM registry_member) TO STDOUT",
            f"{out['seconds']:.1f} s = {out['rows_per_s']:,} rows/s",
            "",
            "",
        ),
        (
            f"raw: COPY {inn['rows']:,} verdict rows into an index-free table",
            f"{inn['seconds']:.1f} s = {inn['rows_per_s']:,} rows/s",
            "",
            "",
        ),
        ("raw: the two together", f"{raw:.1f} s = {round(members / raw):,} rows/s", "", ""),
        (
            "rules alone, in memory: facts_from_values + evaluate (per-member path)",
            f"{rules['facts_from_values_us_per_row'] + rules['evaluate_us_per_row']:.1f} µs/member "
            f"= {rules['per_member_path_rows_per_s']:,} rows/s",
            "",
            "",
        ),
        (
            "rules alone: evaluate() on prebuilt Facts",
            f"{rules['evaluate_us_per_row']:.2f} µs/member = {rules['evaluate_alone_rows_per_s']:,} rows/s",
            "",
            "",
        ),
        (
            "rules alone: the bulk path's verdicts_from_values",
            f"{rules['bulk_judge_us_per_row']:.1f} µs/member = {rules['bulk_judge_rows_per_s']:,} rows/s",
            "",
            "",
        ),
    ]
    for run in results["runs"]:
        bar = BAR_SECONDS * members / NATIONAL
        rows.append(
            (
                f"job, {run['label']} ({run['chunks']} chunks of {run['chunk_size']:,}; "
                f"rules in Python {run['rules_seconds']:.0f} s)",
                f"{run['wall_seconds']:.1f} s = {run['rows_per_s']:,} rows/s "
                f"(raw ÷ job = {raw / run['wall_seconds']:.0%})",
                f"< {bar:.0f} s (≥ {BAR_ROWS_PER_S:,.0f} rows/s)",
                "PASS" if run["rows_per_s"] >= BAR_ROWS_PER_S and run["status"] == "done" else "FAIL",
            )
        )
    first = [r["wall_seconds"] for r in results["runs"] if r["label"].startswith("first")]
    again = [r["wall_seconds"] for r in results["runs"] if r["label"].startswith("re-run")]
    for name, walls in (("first evaluation", first), ("re-run", again)):
        if walls:
            rows.append(
                (
                    f"{name}: spread over {len(walls)} run(s)",
                    f"{min(walls):.1f}–{max(walls):.1f} s (median {statistics.median(walls):.1f})",
                    "",
                    "",
                )
            )
    return rows


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    repeats = env_int("BENCH_REPEATS", 2)
    chunk = env_int("BENCH_CHUNK", 0) or None
    sample = env_int("BENCH_RULES_SAMPLE", 200_000)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "partycard.settings.dev"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db.models import Count

    from partycard.accounts.models import Role, User
    from partycard.exchange.models import Campaign, Eligibility
    from partycard.exchange.services.evaluation import FACT_FIELDS
    from partycard.registry.choices import OrgLevel
    from partycard.registry.models import Member, Organisation

    members = Member.objects.count()
    log(f"{members:,} members in {url}")
    results: dict[str, Any] = {
        "members": members,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": machine_info(url, PG_SETTINGS),
        "bar": {"seconds_at_5_6_m": BAR_SECONDS, "rows_per_s": round(BAR_ROWS_PER_S)},
        "runs": [],
    }
    log("delete earlier bench campaigns, VACUUM the verdict table")
    cleanup(url)
    centre = Organisation.objects.get(level=OrgLevel.CENTRE)
    actor, _ = User.objects.get_or_create(
        username="bench_centre", defaults={"role": Role.CENTRAL_ADMIN, "organisation": centre}
    )

    log("raw baseline: COPY out of the fact columns")
    results["copy_out"] = copy_out_baseline(url, FACT_FIELDS)
    log(f"    {results['copy_out']['seconds']:.1f} s")
    log(f"raw baseline: COPY {members:,} verdict rows into an index-free table")
    results["copy_in"] = copy_in_baseline(url, members)
    log(f"    {results['copy_in']['seconds']:.1f} s")
    log(f"rules alone on {min(sample, members):,} members in memory")
    results["rules"] = rules_baseline(min(sample, members))
    log(f"    {results['rules']}")

    stamp = time.strftime("%Y%m%d%H%M%S")
    campaigns = []
    for i in range(repeats):
        campaign = Campaign.objects.create(
            code=f"bench-el-{stamp}-{i}", name=f"Benchmark {stamp} #{i}", cut_off=dt.date(2026, 6, 30)
        )
        campaigns.append(campaign)
        log(f"first evaluation #{i + 1} (campaign {campaign.code})")
        results["runs"].append(run_job(url, actor, campaign, chunk, f"first evaluation #{i + 1}"))
    for i in range(repeats):
        log(f"re-run #{i + 1} of {campaigns[0].code} (upsert of stored verdicts)")
        results["runs"].append(run_job(url, actor, campaigns[0], chunk, f"re-run #{i + 1}"))

    counts = (
        Eligibility.objects.filter(campaign=campaigns[0])
        .values_list("eligible", "postponed")
        .order_by()
        .annotate(n=Count("id"))
    )
    results["verdicts"] = {f"eligible={e} postponed={p}": n for e, p, n in counts}
    results["eligibility_table"] = table_size(url, "exchange_eligibility")
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    table = rows_of(results)
    results["table"] = table
    print()
    print_table(table)
    target = HERE / "results" / f"eligibility-{members}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
