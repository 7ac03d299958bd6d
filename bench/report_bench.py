"""Progress report benchmark (issue 15): the national report and a province's read from the kept counters,
against a plain ``GROUP BY`` over the same rows, at 5.6 M members with cases and cards in every state.

Runs against a copy of the seeded registry (it is NOT dropped; make it once)::

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE partycard_rep15 TEMPLATE partycard_seed15"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_rep15 .venv/bin/partycard migrate
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_rep15 \
        .venv/bin/python bench/report_bench.py

Environment:
    BENCH_DATABASE_URL  the database (default as above)
    BENCH_RUNS          timed runs per read (default 50, after 3 warm-up runs)
    BENCH_RAW_RUNS      timed runs of each raw GROUP BY (default 3: each reads every row)
    BENCH_PROVINCE      the province timed besides the Centre (default P01)
    BENCH_HOOKS         1: also measure what the counters add to the bulk transitions (bench/
                        bulk_transition_bench.py with BENCH_CASES=BENCH_HOOK_CASES, run without and then with
                        the counters; its JSON is left as it was)
    BENCH_HOOK_CASES    cases per bulk run (default 10,000)

Steps:

1. **Data** (once; skipped when the campaign ``bench-report`` exists): in SQL, over every member, a verdict
   (eligible; postponed, with its reason; not eligible, with its reasons: by status, missing old card or
   citizen ID, a spread of conduct reasons), a case for most (every state: proposed … accepted, returned,
   rejected, on hold, cancelled; ``updated_at`` spread over 90 days), a new card for each accepted case
   (allocated … handed over, lost, damaged, suspended, revoked; numbered 8…, 9… for reissues, far above
   the numbers ``exchange_card_serial`` hands out), a reissued card for the lost ones, and the
   old card of every current member holding one (superseded, recovered or destroyed once the new card is
   handed over). Nothing here writes a counter: it is the bulk load ``report rebuild`` exists for.
2. **rebuild** from empty counters (``start_rebuild`` + ``job_run``, timed) and **verify**
   (``start_verify`` + ``job_run``, timed; must find no difference).
3. **Reads**, each p50/p95 over ``BENCH_RUNS``: the national report (``progress_get`` + ``progress_children``
   at the Centre, by a central administrator) and the province's (by its officer); for comparison the same
   figures by a plain ``GROUP BY`` over the cases, cards, verdicts and members (the organisation's subtree,
   then its children's by path segment), ``BENCH_RAW_RUNS`` times; and, for information, the lagging list,
   a 30-day trend and an as-of read.
4. Optionally (``BENCH_HOOKS=1``) the cost of the counters on the bulk transitions.

Bars: national < 200 ms p95, province < 20 ms p95. Writes ``bench/results/report.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import env_int, log, machine_info  # bench/common.py (bench/ is the script's dir)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/partycard_rep15"
CAMPAIGN = "bench-report"
BAR_NATIONAL_MS = 200.0
BAR_PROVINCE_MS = 20.0
PG_SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "jit", "max_parallel_workers_per_gather")

# A pseudo-random number 0..999 per member, different for each use (multiplicative hashing of the id).
H = "((m.id * {k}) %% 1000)"

GENERATE = [
    # Verdicts of every member.
    """
    INSERT INTO exchange_eligibility (campaign_id, member_id, eligible, postponed, codes, evaluated_at)
    SELECT %(campaign)s, v.id, v.codes = '', v.codes IN ('under_discipline', 'transfer_in_progress'), v.codes,
           now() - ((v.id %% 60) || ' days')::interval
    FROM (
      SELECT m.id, CASE
        WHEN m.status = 'deceased' THEN 'deceased' WHEN m.status = 'expelled' THEN 'expelled'
        WHEN m.status = 'removed' THEN 'removed' WHEN m.status = 'resigned' THEN 'left'
        WHEN m.status = 'probationary' THEN 'not_official'
        WHEN m.old_card_number IS NULL THEN 'no_current_card'
        WHEN m.citizen_id IS NULL THEN 'data_incomplete'
        WHEN {h1} < 20 THEN 'under_discipline'
        WHEN {h1} < 30 THEN 'transfer_in_progress'
        WHEN {h1} < 40 THEN 'dues_unpaid'
        WHEN {h1} < 45 THEN 'activities_skipped,dues_unpaid'
        ELSE '' END AS codes
      FROM registry_member m
    ) v
    """,
    # A case for most members, in every state.
    """
    INSERT INTO exchange_case (campaign_id, member_id, organisation_id, path, state, returned_to, held_from,
                               note, card_number, created_at, updated_at)
    SELECT %(campaign)s, m.id, m.organisation_id, o.path, s.state,
           CASE WHEN s.state = 'returned' THEN 'cell' ELSE '' END,
           CASE WHEN s.state = 'on_hold' THEN 'proposed' ELSE '' END,
           '', CASE WHEN s.state = 'accepted' THEN '8' || lpad(m.id::text, 9, '0') END,
           now() - interval '100 days',
           now() - (({h3} %% 90) || ' days')::interval - (({h4}) || ' minutes')::interval
    FROM registry_member m
    JOIN registry_organisation o ON o.id = m.organisation_id
    JOIN exchange_eligibility e ON e.member_id = m.id AND e.campaign_id = %(campaign)s
    CROSS JOIN LATERAL (SELECT CASE
        WHEN e.eligible AND {h2} < 600 THEN 'accepted'
        WHEN e.eligible AND {h2} < 680 THEN 'forwarded'
        WHEN e.eligible AND {h2} < 750 THEN 'decided'
        WHEN e.eligible AND {h2} < 810 THEN 'confirmed'
        WHEN e.eligible AND {h2} < 870 THEN 'proposed'
        WHEN e.eligible AND {h2} < 890 THEN 'returned'
        WHEN e.eligible AND {h2} < 900 THEN 'rejected'
        WHEN e.postponed THEN 'on_hold'
        WHEN e.codes IN ('deceased', 'expelled', 'removed', 'left') AND {h2} < 300 THEN 'cancelled'
        WHEN e.codes LIKE '%%dues_unpaid%%' AND {h2} < 500 THEN 'rejected'
        END AS state) s
    WHERE s.state IS NOT NULL
    """,
    # The new card of every accepted case, on its way down or past it.
    """
    INSERT INTO cards_card (number, kind, member_id, case_id, path, state, level, chip_key_fingerprint,
                            sod_sha256, note, created_at, updated_at)
    SELECT c.card_number, 'new', c.member_id, c.id, c.path, s.state, '', '', '', '', c.updated_at,
           c.updated_at + ((m.id %% 20) || ' days')::interval
    FROM exchange_case c JOIN registry_member m ON m.id = c.member_id
    CROSS JOIN LATERAL (SELECT CASE
        WHEN {h5} < 80 THEN 'allocated' WHEN {h5} < 150 THEN 'in_production' WHEN {h5} < 220 THEN 'produced'
        WHEN {h5} < 330 THEN 'in_transit' WHEN {h5} < 450 THEN 'received' WHEN {h5} < 930 THEN 'active'
        WHEN {h5} < 950 THEN 'lost' WHEN {h5} < 965 THEN 'damaged' WHEN {h5} < 975 THEN 'suspended'
        ELSE 'revoked' END AS state) s
    WHERE c.campaign_id = %(campaign)s AND c.state = 'accepted'
    """,
    # A reissued card (no case) for every lost one.
    """
    INSERT INTO cards_card (number, kind, member_id, case_id, path, state, level, chip_key_fingerprint,
                            sod_sha256, note, created_at, updated_at)
    SELECT '9' || lpad(c.member_id::text, 9, '0'), 'new', c.member_id, NULL, c.path, 'allocated',
           '', '', '', '', now(), now()
    FROM cards_card c WHERE c.kind = 'new' AND c.state = 'lost'
    """,
    # The old card of every current member holding one.
    """
    INSERT INTO cards_card (number, kind, member_id, case_id, path, state, level, chip_key_fingerprint,
                            sod_sha256, note, created_at, updated_at)
    SELECT m.old_card_number, 'old', m.id, NULL, o.path,
           CASE WHEN n.id IS NULL THEN 'active' WHEN {h6} < 400 THEN 'superseded'
                WHEN {h6} < 800 THEN 'recovered' ELSE 'destroyed' END, '', '', '', '',
           now() - interval '200 days', now() - interval '3 days'
    FROM registry_member m JOIN registry_organisation o ON o.id = m.organisation_id
    LEFT JOIN cards_card n ON n.member_id = m.id AND n.kind = 'new' AND n.state = 'active'
    WHERE m.status IN ('official', 'probationary') AND m.old_card_number IS NOT NULL
    """,
]


def _sql(template: str) -> str:
    return template.format(
        **{f"h{i}": H.format(k=k) for i, k in enumerate((1, 2654435761, 40503, 97, 7919, 104729, 1299709))}
    )


def generate(url: str) -> dict[str, Any]:
    """The cases, cards and verdicts of the campaign ``bench-report`` (once)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT id FROM exchange_campaign WHERE code = %s", [CAMPAIGN]).fetchone()
        if row is not None:
            log(f"campaign {CAMPAIGN} exists (#{row[0]}): data already generated")
            return {"generated": False, "campaign": row[0]}
        campaign = conn.execute(
            "INSERT INTO exchange_campaign (code, name, cut_off, removal_months, "
            "postpone_under_discipline, postpone_under_inspection, postpone_transfer_in_progress, "
            "require_citizen_id, recover_old_cards, destroy_old_cards, is_open, created_at) "
            "VALUES (%s, %s, %s, 3, true, true, true, true, true, true, true, now()) RETURNING id",
            [CAMPAIGN, "Benchmark of the progress report", dt.date(2026, 6, 30)],
        ).fetchone()[0]  # type: ignore[index]
        seconds = {}
        for i, template in enumerate(GENERATE):
            t0 = time.perf_counter()
            conn.execute(_sql(template), {"campaign": campaign})  # type: ignore[arg-type]
            seconds[f"step_{i}"] = round(time.perf_counter() - t0, 1)
            log(f"    generated step {i} in {seconds[f'step_{i}']} s")
        conn.execute("ANALYZE")
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in ("exchange_eligibility", "exchange_case", "cards_card")
        }
    return {"generated": True, "campaign": campaign, "seconds": seconds, "rows": counts}


def timed(fn: Callable[[], Any], runs: int, warm: int = 3) -> dict[str, float]:
    for _ in range(warm):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, max(0, round(0.95 * len(samples)) - 1))]
    return {
        "runs": runs,
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(samples[-1], 2),
    }


def raw_report(path: str, depth: int, campaign_id: int) -> dict[str, Any]:
    """The same figures by a plain ``GROUP BY`` over the rows: the subtree at ``path`` (depth ``depth``), and
    each of its children by the path segment below it (one grouped query per table, no counters)."""
    from django.db import connection

    seg = f"split_part(o.path, '.', {depth + 2})"
    by_campaign = " AND {alias}.campaign_id = %s"
    queries = {  # name: (query, whether it takes the campaign)
        "members": (
            "SELECT {seg}, count(*) FROM registry_member m "
            "JOIN registry_organisation o ON o.id = m.organisation_id "
            "WHERE o.path LIKE %s AND m.status IN ('official', 'probationary') GROUP BY 1",
            False,
        ),
        "cases": (
            "SELECT {seg}, c.state, count(*) FROM exchange_case c JOIN registry_organisation o "
            "ON o.id = c.organisation_id WHERE o.path LIKE %s"
            + by_campaign.format(alias="c")
            + " GROUP BY 1, 2",
            True,
        ),
        "cards": (
            "SELECT {seg}, c.kind, c.state, count(*) FROM cards_card c "
            "JOIN registry_member m ON m.id = c.member_id "
            "JOIN registry_organisation o ON o.id = m.organisation_id WHERE o.path LIKE %s GROUP BY 1, 2, 3",
            False,
        ),
        "verdicts": (
            "SELECT {seg}, e.eligible, e.postponed, e.codes, count(*) FROM exchange_eligibility e "
            "JOIN registry_member m ON m.id = e.member_id "
            "JOIN registry_organisation o ON o.id = m.organisation_id "
            "WHERE o.path LIKE %s" + by_campaign.format(alias="e") + " GROUP BY 1, 2, 3, 4",
            True,
        ),
    }
    out: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for name, (sql, with_campaign) in queries.items():
            cursor.execute(sql.format(seg=seg), [path + "%", *([campaign_id] if with_campaign else [])])
            out[name] = cursor.fetchall()
    return out


def hook_cost(url: str, cases: int) -> dict[str, Any]:
    """bench/bulk_transition_bench.py run twice on this database, without the counters (the reports app's
    handlers not registered) and with them: the cases per second of each phase."""
    target = HERE / "results" / "bulk-transition.json"
    kept = target.read_text() if target.exists() else None
    runs: dict[str, Any] = {}
    pattern = re.compile(r"([\d,]+) cases in ([\d.]+) s = ([\d,]+) cases/s; check (\w+)")
    try:
        for label, disable in (("without_counters", True), ("with_counters", False)):
            code = (
                "import runpy, sys; sys.path[:0] = ['src', 'bench']\n"
                + (
                    "import partycard.reports.apps as a; a.ReportsConfig.ready = lambda self: None\n"
                    if disable
                    else ""
                )
                + "runpy.run_path('bench/bulk_transition_bench.py', run_name='__main__')"
            )
            env = dict(os.environ, BENCH_DATABASE_URL=url, BENCH_CASES=str(cases), BENCH_REPEATS="1")
            log(f"    bulk transitions {label.replace('_', ' ')}")
            done = subprocess.run(
                [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
            )
            phases = [
                {
                    "cases": int(c.replace(",", "")),
                    "seconds": float(s),
                    "cases_per_s": int(r.replace(",", "")),
                    "check": k,
                }
                for c, s, r, k in pattern.findall(done.stdout)
            ]
            runs[label] = dict(zip(("confirm", "decide", "forward", "accept"), phases, strict=True))
    finally:
        if kept is not None:
            target.write_text(kept)
    runs["cost_percent"] = {
        phase: round(
            100 * (runs["with_counters"][phase]["seconds"] / runs["without_counters"][phase]["seconds"] - 1),
            1,
        )
        for phase in ("confirm", "decide", "forward", "accept")
    }
    return runs


def wait_for_other_benches() -> None:
    """Other helpers bench on this machine too: time nothing while another ``*_bench.py`` runs."""
    mine = {os.getpid(), os.getppid()}  # this script and whatever started it (timeout, make)
    while True:
        found = subprocess.run(["pgrep", "-af", "_bench.py"], capture_output=True, text=True).stdout
        others = [
            line
            for line in found.splitlines()
            if line and int(line.split()[0]) not in mine and "pgrep" not in line
        ]
        if not others:
            return
        log(f"waiting for {len(others)} other benchmark process(es): {others[0][:100]}")
        time.sleep(30)


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    runs, raw_runs = env_int("BENCH_RUNS", 50), env_int("BENCH_RAW_RUNS", 3)
    province_code = os.environ.get("BENCH_PROVINCE", "P01")
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "partycard.settings.dev"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from partycard.accounts.models import User
    from partycard.accounts.roles import Role
    from partycard.exchange.models import Campaign
    from partycard.jobs.services import job_run
    from partycard.registry.models import Organisation
    from partycard.reports import selectors
    from partycard.reports.jobs import start_rebuild, start_verify

    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "database": url}
    log("data: cases, cards and verdicts in SQL")
    results["data"] = generate(url)
    campaign = Campaign.objects.get(code=CAMPAIGN)
    centre = Organisation.objects.get(parent__isnull=True)
    province = Organisation.objects.get(code=province_code)

    def officer(name: str, role: str, org: Any) -> Any:
        user = User.objects.filter(username=name).first()
        if user is None:
            user = User(username=name, role=role, organisation=org)
            user.set_unusable_password()
            user.save()
        return user

    admin = officer("bench_report_tw", Role.CENTRAL_ADMIN, centre)
    provincial = officer(f"bench_report_{province.code.lower()}", Role.COMMITTEE_OFFICER, province)

    wait_for_other_benches()
    results["machine"] = machine_info(url, PG_SETTINGS)
    log("report rebuild (job), from empty counters: what a bulk load leaves")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reports_tally, reports_tallyday")
    t0 = time.perf_counter()
    job = job_run(start_rebuild(actor=None, enqueue=False).pk)
    results["rebuild"] = {"seconds": round(time.perf_counter() - t0, 1), "result": job.params.get("result")}
    log(f"    {results['rebuild']}")
    log("report verify (job)")
    t0 = time.perf_counter()
    job = job_run(start_verify(actor=None, enqueue=False).pk)
    results["verify"] = {
        "seconds": round(time.perf_counter() - t0, 1),
        "differences": job.failed,
        "chunks": job.chunk_count,
    }
    log(f"    {results['verify']}")

    wait_for_other_benches()
    log(f"reads: {runs} runs each")

    def report(actor: Any, code: str) -> None:
        selectors.progress_get(actor, code=code, campaign=campaign)
        selectors.progress_children(actor, code=code, campaign=campaign)

    reads: dict[str, Any] = {
        "national": timed(lambda: report(admin, centre.code), runs),
        "province": timed(lambda: report(provincial, province.code), runs),
        "national_raw": timed(lambda: raw_report(centre.path, 0, campaign.pk), raw_runs, warm=1),
        "province_raw": timed(lambda: raw_report(province.path, 1, campaign.pk), raw_runs, warm=1),
        "lagging_national": timed(
            lambda: selectors.progress_lagging(admin, code=centre.code, campaign=campaign), 5, 1
        ),
        "lagging_province": timed(
            lambda: selectors.progress_lagging(provincial, code=province.code, campaign=campaign), 10, 1
        ),
        "trend_30_days_province": timed(
            lambda: selectors.progress_trend(
                provincial,
                code=province.code,
                start=dt.date.today() - dt.timedelta(days=29),
                end=dt.date.today(),
                campaign=campaign,
            ),
            runs,
        ),
        "as_of_yesterday_national": timed(
            lambda: selectors.progress_get(
                admin, code=centre.code, on=dt.date.today() - dt.timedelta(days=1), campaign=campaign
            ),
            runs,
        ),
    }
    for name, figure in reads.items():
        log(f"    {name}: p50 {figure['p50_ms']} ms, p95 {figure['p95_ms']} ms")
    national = selectors.progress_get(admin, code=centre.code, campaign=campaign)
    results["national_figures"] = {
        "members": national.members,
        "counts": national.counts,
        "reasons": national.reasons,
    }
    results["children_at_centre"] = len(
        selectors.progress_children(admin, code=centre.code, campaign=campaign)
    )
    results["reads"] = reads
    results["ratios"] = {
        "national_raw_over_counters_p95": round(
            reads["national_raw"]["p95_ms"] / reads["national"]["p95_ms"]
        ),
        "province_raw_over_counters_p95": round(
            reads["province_raw"]["p95_ms"] / reads["province"]["p95_ms"]
        ),
    }
    results["bars"] = {
        "national_p95_ms": BAR_NATIONAL_MS,
        "province_p95_ms": BAR_PROVINCE_MS,
        "national": "PASS" if reads["national"]["p95_ms"] < BAR_NATIONAL_MS else "FAIL",
        "province": "PASS" if reads["province"]["p95_ms"] < BAR_PROVINCE_MS else "FAIL",
    }
    if os.environ.get("BENCH_HOOKS") == "1":
        wait_for_other_benches()
        log("the counters' cost on the bulk transitions")
        results["hooks"] = hook_cost(url, env_int("BENCH_HOOK_CASES", 10_000))
        log(f"    {results['hooks']['cost_percent']}")
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    target = HERE / "results" / "report.json"
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    print(json.dumps({"reads": reads, "ratios": results["ratios"], "bars": results["bars"]}, indent=2))
    print(f"\nwritten {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
