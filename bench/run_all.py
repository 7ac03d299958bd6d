"""``make bench`` (issue 19): run every benchmark in bench/ and write ONE table of their figures, each with
the raw limit measured in the same run, the ratio, the bar and PASS/FAIL, and the machine it ran on.

Every bench keeps its own knobs (bench/README.md, each script's docstring); this runner only chooses
sizes that finish in reasonable time, and reads the figures from the JSON each bench writes in
bench/results/ (the three that write none, audit, completeness and population check, from their last
lines of output). A bench that exits non-zero, writes no fresh result, or lacks a prerequisite (wrk,
SoftHSM2, pcscd, nginx, PostgreSQL) is a row of its own saying so, never dropped.

Benchmarks that need a seeded registry share one database the runner makes (``partycard seed
--members BENCH_MEMBERS``) and drops at the end; the read-only ones run first, those that add cases,
verdicts or edits to it after.

    .venv/bin/python bench/run_all.py                        # every bench, BENCH_MEMBERS=200,000 (~1 h)
    BENCH_SCALE=national .venv/bin/python bench/run_all.py   # 5.6 M members, the national sizes (hours)
    BENCH_ONLY=keystore_unlock,qr_verify .venv/bin/python bench/run_all.py   # some benches only

Environment:
    BENCH_SCALE         "quick" (default) or "national"
    BENCH_MEMBERS       members of the shared seeded database (quick 200,000; national 5,600,000)
    BENCH_ONLY / BENCH_SKIP  comma-separated bench names
    BENCH_MERGE         1: keep the previous table's rows for the benches not run now (re-run one after a
                        fix; the table says which rows were re-run, when and at which commit)
    BENCH_TIMEOUT       seconds per bench before it is stopped and marked failed
                        (quick 1,800; national 14,400)
    BENCH_PG_ADMIN_URL  default postgres://postgres@127.0.0.1:5432/postgres

Writes bench/results/table.md and bench/results/table.json, and prints the table. Each bench's fresh JSON
goes to bench/results/table-inputs/; the file it replaced in bench/results/ (a documented run) is put back.
Exit status 1 when a bench failed or a figure misses its bar.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
LOGS = RESULTS / "logs"
INPUTS = RESULTS / "table-inputs"  # the JSON each bench wrote in the last make bench

__all__ = ["Bench", "Row", "machine", "markdown_table", "rows_of"]


@dataclass
class Row:
    """One line of the table. ``status``: PASS, FAIL, info (no bar), or why the bench gave no figure."""

    bench: str
    figure: str
    value: str = ""
    raw: str = ""
    ratio: str = ""
    bar: str = ""
    status: str = "info"


@dataclass
class Bench:
    name: str
    script: str
    result: str | None  # the JSON under bench/results/ it writes; None: figures from its output
    extract: Callable[[Any, str], list[Row]]
    env: dict[str, str] = field(default_factory=dict)
    national_env: dict[str, str] = field(default_factory=dict)
    seeded: bool = False  # needs the shared seeded database
    needs: Sequence[str] = ()  # commands that must exist (wrk, softhsm2-util, pcscd, nginx)
    minutes: tuple[float, float] = (1, 1)  # expected minutes, quick and national, on 2 cores


# --------------------------------------------------------------------------------------------------------
# Extractors: from a bench's JSON (or output) to rows. Each reads the names the bench itself writes.


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _status(ok: bool | None) -> str:
    return "info" if ok is None else ("PASS" if ok else "FAIL")


def _table_rows(name: str, data: dict[str, Any]) -> list[Row]:
    """Benches that print a table with a bar column (registry, eligibility, bulk transitions, SOD signing):
    the rows that have a bar, and the raw rows beside them."""
    rows = []
    table = data.get("table") or []
    raws = [r for r in table[1:] if r[0].lower().startswith("raw") and not r[2]]
    raw_text = "; ".join(f"{r[0]}: {r[1]}" for r in raws)[:160]
    for measure, value, bar, verdict, *_ in table[1:]:
        if bar:
            rows.append(Row(name, measure.strip(), value, raw_text, "", bar, verdict or "info"))
    return rows or [Row(name, "no row with a bar in its table", status="FAIL")]


def x_registry(d: Any, _out: str) -> list[Row]:
    return _table_rows("registry", d)


def x_eligibility(d: Any, _out: str) -> list[Row]:
    return _table_rows("eligibility", d)


def x_bulk(d: Any, _out: str) -> list[Row]:
    return _table_rows("bulk_transition", d)


def x_sod(d: Any, _out: str) -> list[Row]:
    rows = []
    for store, s in d["stores"].items():
        rows.append(
            Row(
                "sod_sign",
                f"{store}: SodSigner.build_hashed (batch path), signatures/s",
                _n(s["median"].get("build_hashed", s["median"].get("build", 0))),
                f"raw ECDSA sign {_n(s['median']['raw_sign'])}/s",
                f"{s['ratio_median']:.0%}",
                f"≥ {d['bar']['ratio']:.0%} of raw",
                _status(s.get("pass")),
            )
        )
    return rows


def x_keystore(d: Any, _out: str) -> list[Row]:
    return [
        Row(
            "keystore_unlock",
            f"FileKeyStore unlock, {d.get('keys', '?')} keys (median)",
            f"{d['unlock']['median_ms']:.0f} ms",
            f"scrypt alone {d['raw']['median_ms']:.0f} ms",
            f"{d['raw']['median_ms'] / d['unlock']['median_ms']:.0%}",
            "",
            "info",
        )
    ]


def x_qr(d: Any, _out: str) -> list[Row]:
    per = d["per_call_us_median"]
    bar = d["bar"]
    return [
        Row(
            "qr_verify",
            f"verify.qr ({name}), µs per QR",
            f"{per[name]:.1f} µs",
            f"raw COSE_Sign1 verify {per['raw']:.1f} µs",
            f"{d[f'ratio_{name}']['median']:.0%}",
            f"≥ {bar['ratio']:.0%} of raw" if name == bar.get("measure") else "",
            _status(d.get("pass")) if name == bar.get("measure") else "info",
        )
        for name in ("session", "rotating", "one_shot")
        if name in per
    ]


def x_batch_build(d: Any, _out: str) -> list[Row]:
    ratio = d["ratio_raw_over_ours"]
    return [
        Row(
            "batch_build",
            f"batch build, cards/s ({_n(d['cards'])} cards)",
            _n(d["ours_cards_per_s"]),
            f"raw sign + AES-GCM {_n(d['raw_cards_per_s'])}/s",
            f"{ratio:.0%}",
            "≥ 50 % of raw (docstring target)",
            _status(ratio >= 0.5),
        )
    ]


def x_production(d: Any, _out: str) -> list[Row]:
    ratio = d["ratio_raw_over_ours"]
    minutes = d.get("projected_national_minutes")
    rows = [
        Row(
            "production",
            f"build + seal + reconcile, cards/s ({_n(d['cards'])} cards)",
            _n(d["cards_per_s"]),
            f"raw crypto {d['raw_seconds']} s for the same cards",
            f"{ratio:.0%}",
            "≥ 50 % of raw (docstring target)",
            _status(ratio >= 0.5),
        )
    ]
    if minutes is not None:
        rows.append(
            Row(
                "production",
                "projected 5.6 M cards",
                f"{minutes:.0f} min",
                "",
                "",
                "< 60 min",
                _status(minutes < 60),
            )
        )
    return rows


def x_status_list(d: Any, _out: str) -> list[Row]:
    rows = []
    for s in d.get("shares", [])[:1]:
        rows += [
            Row(
                "status_list",
                f"revoke one card in a {_n(d['cards'])}-entry list (sign JWT)",
                f"{s['revoke_one_s']:.2f} s",
                f"raw zlib -9 of the bits {s['raw_zlib_compress9_s']:.2f} s",
                f"{s['raw_zlib_compress9_s'] / s['revoke_one_s']:.0%}",
            ),
            Row(
                "status_list",
                "verifier: decode the list (JWT)",
                f"{s['verify_decode_jwt_s'] * 1000:.1f} ms",
                f"raw zlib decompress {s['raw_zlib_decompress_s'] * 1000:.1f} ms",
                f"{s['raw_zlib_decompress_s'] / s['verify_decode_jwt_s']:.0%}",
            ),
            Row(
                "status_list",
                "one look-up",
                f"{s['lookup_ns_median_single']:.0f} ns",
                f"timer overhead {s['timer_overhead_ns_median']:.0f} ns",
            ),
        ]
    return rows


def x_card_pdf(d: Any, _out: str) -> list[Row]:
    c = d["cards_pdf"]
    floor = d["photo_resample_only_cards_per_s"]
    ok = bool(c.get("all_fonts_embedded") and c.get("name_extracted_exactly") and c.get("trim_box_ok"))
    return [
        Row(
            "card_pdf",
            f"cards_pdf, cards/s ({_n(c['cards'])} cards)",
            f"{c['cards_per_s']:.1f}",
            f"photo resampling alone {floor:.1f}/s",
            f"{c['cards_per_s'] / floor:.0%}",
            "fonts embedded, name exact, TrimBox",
            _status(ok),
        ),
    ]


def x_read_card(d: Any, _out: str) -> list[Row]:
    bar = d["bar"]["p95_ms"]
    rows = []
    for chunk, r in d.get("pcsc", {}).items():
        plain = d.get("pcsc_plain", {}).get(chunk, {}).get("ms", {}).get("total", {}).get("p95")
        p95 = r["ms"]["total"]["p95"]
        rows.append(
            Row(
                "read_card",
                f"read-card over PC/SC, READ BINARY {chunk}, p95",
                f"{p95:.1f} ms",
                f"in-memory transport p95 {plain:.1f} ms" if plain else "",
                f"{plain / p95:.0%}" if plain else "",
                f"< {bar:.0f} ms",
                _status(p95 < bar),
            ),
        )
    return rows


def x_review(d: Any, _out: str) -> list[Row]:
    return [
        Row(
            "review_roundtrip",
            f"{r['backend']}: round trip of a {_n(r['members'])}-member workbook",
            f"{r['round_trip']:.2f} s",
            f"raw openpyxl write + read {r['raw']:.2f} s",
            f"{r['raw'] / r['round_trip']:.0%}",
            "< 10 s",
            _status(r["round_trip"] < 10),
        )
        for r in d
    ]


def x_import(d: Any, _out: str) -> list[Row]:
    rows = []
    for name, case in (d.get("cases") or {}).items() if isinstance(d.get("cases"), dict) else []:
        seconds, peak = case.get("seconds"), case.get("peak_rss") or case.get("vmhwm")
        if seconds is not None:
            rows.append(
                Row("import", f"{name}: time, peak RSS", f"{seconds:.1f} s, {(peak or 0) / 2**20:.0f} MiB")
            )
    peak, bar = d["peak_rss_max"], d["bar_peak_rss"]
    rows.append(
        Row(
            "import",
            "largest peak RSS over the cases",
            f"{peak / 2**20:.0f} MiB",
            "",
            "",
            f"< {bar / 2**20:.0f} MiB",
            _status(peak < bar),
        )
    )
    return rows


def x_verify_load(d: Any, _out: str) -> list[Row]:
    run = d.get("run_all") or d[list(d)[-1]]
    fixed, sat = run["bars"]["fixed_rate"], run["bars"]["saturation"]
    noop = run["as_is"].get("open_loop_noop", {}).get("latency_ms", {})
    s = run["as_is"]["saturation"]
    return [
        Row(
            "verify_load",
            f"POST /api/v1/verify p99 at {run['settings']['rate']:,}/s open loop",
            f"{fixed['p99_ms']:.1f} ms ({fixed['achieved_rate']}/s, {fixed['errors']} errors)",
            f"no-op view p99 {noop.get('p99', '?')} ms",
            "",
            "< 20 ms, no error",
            _status(fixed["pass"]),
        ),
        Row(
            "verify_load",
            "verify saturation, requests/s (wrk)",
            _n(s["verify_median_rps"]),
            f"no-op view {_n(s['noop_median_rps'])}/s",
            f"{sat['ratio']:.0%}",
            "≥ 40 % of no-op",
            _status(sat["pass"]),
        ),
    ]


def x_member_list(d: Any, _out: str) -> list[Row]:
    bar = d["bar_p95_ms"]
    return [
        Row(
            "member_list",
            f"member list over HTTP, p95 ({_n(d['members'])} members, deep pages included)",
            f"{d['http']['p95_ms']:.1f} ms",
            f"selector alone p95 {d['server']['p95_ms']:.1f} ms",
            f"{d['server']['p95_ms'] / d['http']['p95_ms']:.0%}",
            f"< {bar:.0f} ms",
            _status(d["http"]["p95_ms"] < bar),
        ),
    ]


def x_search(d: Any, _out: str) -> list[Row]:
    mix, raw = d["mix"], d["baseline"]["raw_index_page"]
    return [
        Row(
            "search",
            f"member search through granian, p95 over the mix ({_n(d['members'])} members)",
            f"{mix['p95_ms']:.1f} ms",
            f"one page from the index (psycopg) p95 {raw['p95_ms']:.1f} ms",
            f"{raw['p95_ms'] / mix['p95_ms']:.0%}",
            "< 300 ms every search",
            d.get("verdict", "info"),
        ),
    ]


def x_reports_home(d: Any, _out: str) -> list[Row]:
    bar = d["bar_ms"]
    return [
        Row(
            "reports_home",
            f"home page, {name} ({s.get('code', '')}), p95",
            f"{s['after']['p95_ms']:.1f} ms",
            f"old dashboard p95 {s['before']['p95_ms']:.1f} ms",
            f"{s['ratio_p95']:.2f}",
            f"< {bar:.0f} ms",
            s.get("verdict", "info"),
        )
        for name, s in d["scopes"].items()
    ]


def x_export(d: Any, _out: str) -> list[Row]:
    s = d["summary"]
    return [
        Row(
            "export",
            f"roster export job, {d.get('organisation', '')}",
            f"{s['job_seconds']:.1f} s",
            "raw openpyxl write of the same rows",
            f"{s['job_over_raw_openpyxl']:.2f} (job ÷ raw, as the bench reports it)",
            f"< {s['bar_seconds']:.0f} s",
            _status(s["pass"]),
        ),
    ]


def x_sync(d: Any, _out: str) -> list[Row]:
    s = d["summary"]
    return [
        Row(
            "sync_roundtrip",
            f"party-database sync round trip, {d.get('organisation', '')}",
            f"{s['round_trip_seconds']:.0f} s (peak {s['peak_rss_mib']} MiB)",
            "raw COPY / raw read of the same rows",
            f"export {s['export_over_raw_copy']}× raw, preview {s['preview_over_raw_read']}× raw",
            f"< {s['bar_seconds']:.0f} s",
            _status(s["pass"]),
        ),
    ]


def x_report(d: Any, _out: str) -> list[Row]:
    reads, bars, ratios = d["reads"], d["bars"], d["ratios"]
    return [
        Row(
            "report",
            f"{scope} progress report p95",
            f"{reads[scope]['p95_ms']:.1f} ms",
            f"plain GROUP BY p95 {reads[scope + '_raw']['p95_ms']:,.0f} ms",
            f"raw {ratios[f'{scope}_raw_over_counters_p95']}× slower",
            f"< {bars[f'{scope}_p95_ms']:.0f} ms",
            bars[scope],
        )
        for scope in ("national", "province")
    ]


def x_verify_nginx(d: Any, _out: str) -> list[Row]:
    """Issue 19's two bars for each status list source, through nginx with TLS as deployed."""
    run = d.get("run_all") or d[list(d)[-1]]
    rows = []
    for source in ("files", "database"):
        if source not in run:
            continue
        r = run[source]
        fixed, sat = r["bars"]["fixed_rate"], r["bars"]["saturation"]
        floor = r["open_loop"]["noop"]["latency_ms"]["p99"]
        medians = r["saturation"]["median_rps"]
        rows += [
            Row(
                "verify_nginx",
                f"{source} status lists: POST /api/v1/verify through nginx TLS, p99 at"
                f" {run['settings']['BENCH_RATE']:,}/s open loop",
                f"{fixed['p99_ms']:.1f} ms ({fixed['achieved_rate']}/s, {fixed['errors']} errors)",
                f"no-op view through nginx p99 {floor} ms",
                "",
                "< 20 ms, no error",
                _status(fixed["pass"]),
            ),
            Row(
                "verify_nginx",
                f"{source} status lists: verify saturation through nginx, requests/s (wrk)",
                _n(medians["verify"]),
                f"no-op view {_n(medians['noop'])}/s (nginx alone {_n(medians['nginx_noop'])}/s)",
                f"{sat['ratio']:.0%}",
                "≥ 40 % of no-op",
                _status(sat["pass"]),
            ),
        ]
    return rows


def x_soak(d: Any, _out: str) -> list[Row]:
    """Zero errors and flat memory are the bar; the routes' latencies are figures with no bar."""
    load = d.get("load") or {}
    rows = [
        Row(
            "soak",
            f"{d['settings']['seconds']} s of officers' and verifiers' traffic: requests, errors",
            f"{load.get('requests', 0):,} requests, {load.get('errors', {}).get('total', '?')} errors",
            "",
            "",
            "0 errors, counts agree with the database",
            _status(bool(d["pass"])),
        )
    ]
    rows += [
        Row(
            "soak",
            f"RSS slope, {m['name']}",
            f"{m['slope_mib_per_10_min']} MiB/10 min",
            "",
            "",
            f"< {m['threshold_mib_per_10_min']} MiB/10 min",
            _status(bool(m["ok"])),
        )
        for m in d.get("memory", [])
    ]
    rows += [
        Row("soak", f"{route}, p50 / p95 / p99", f"{s['p50_ms']} / {s['p95_ms']} / {s['p99_ms']} ms")
        for route, s in load.get("routes", {}).items()
        if s["count"] >= 100
    ]
    return rows


def x_deploy_sizing(d: Any, _out: str) -> list[Row]:
    """Requests/s per granian workers × blocking threads; the ratio is to the best combination."""
    runs = d["runs"]
    best_page = max(r["officer_page"]["rps"] for r in runs)
    best_verify = max(r["verify"]["rps"] for r in runs)
    return [
        Row(
            "deploy_sizing",
            f"granian {r['workers']} × {r['threads']}: officer page / verify, requests/s (wrk)",
            f"{_n(r['officer_page']['rps'])} / {_n(r['verify']['rps'])}",
            f"best {_n(best_page)} / {_n(best_verify)}",
            f"{r['officer_page']['rps'] / best_page:.0%} / {r['verify']['rps'] / best_verify:.0%}",
        )
        for r in runs
    ]


def x_replica_router(_d: Any, out: str) -> list[Row]:
    primary = _last(r"\| GET /dang-vien/, no router \(primary\) \| ([\d.]+) \| ([\d.]+) \|", out)
    replica = _last(r"\| GET /dang-vien/, router → replica \| ([\d.]+) \| ([\d.]+) \|", out)
    decision = _last(r"`db_for_read`, inside \(state cached\) \| ([\d.]+) µs", out)
    if primary is None or replica is None:
        return [Row("replica_router", "no page timing line in the output", status="FAIL")]
    rows = [
        Row(
            "replica_router",
            "member list read from the replica through the router, median / p95",
            f"{replica[1]} / {replica[2]} ms",
            f"the same page from the primary, no router {primary[1]} / {primary[2]} ms",
            f"{float(primary[1]) / float(replica[1]):.0%}",
        )
    ]
    if decision:
        rows.append(Row("replica_router", "one routing decision (db_for_read)", f"{decision[1]} µs"))
    return rows


def x_ops_middleware(_d: Any, out: str) -> list[Row]:
    found = _last(r"view alone ([\d.]+) µs, with the middleware ([\d.]+) µs: overhead ([\d.]+) µs", out)
    if found is None:
        return [Row("ops_middleware", "no overhead line in the output", status="FAIL")]
    return [
        Row(
            "ops_middleware",
            "request id + latency histogram + probes, per request",
            f"{found[3]} µs",
            f"the view alone {found[1]} µs",
            f"{float(found[1]) / float(found[2]):.0%}",
        )
    ]


def _last(pattern: str, out: str) -> re.Match[str] | None:
    found = list(re.finditer(pattern, out))
    return found[-1] if found else None


def x_audit(_d: Any, out: str) -> list[Row]:
    overhead = _last(r"audit append overhead per write: ([\d.]+) ms \(bar < 2 ms: (\w+)\)", out)
    plain = _last(r"plain write\s+mean ([\d.]+) ms", out)
    if overhead is None:
        return [Row("audit", "no overhead line in the output", status="FAIL")]
    return [
        Row(
            "audit",
            "audit append overhead per write",
            f"{overhead[1]} ms",
            f"plain write {plain[1]} ms" if plain else "",
            "",
            "< 2 ms",
            overhead[2],
        ),
    ]


def x_population(_d: Any, out: str) -> list[Row]:
    ratio = _last(r"run time / floor = ([\d.]+); (\d+) records/s", out)
    floor = _last(r"the stand-in's floor ([\d.]+) s", out)
    if ratio is None:
        return [Row("population_check", "no run-time line in the output", status="FAIL")]
    rate = int(ratio[2])
    # Issue 17: 5.6 M members in < 15 min, i.e. ≥ 6,223 records/s.
    return [
        Row(
            "population_check",
            "cross-check with the population database, records/s",
            _n(rate),
            f"stand-in's floor {floor[1] if floor else '?'} s",
            f"{1 / float(ratio[1]):.0%}",
            "≥ 6,223/s (5.6 M < 15 min)",
            _status(rate >= 6223),
        ),
    ]


def x_completeness(_d: Any, out: str) -> list[Row]:
    """Its per-scope lines (``centre TW members … get 12.3 ms children (40) 45.6 ms``) and the member
    list's; the EXPLAIN it prints on stderr is left alone."""
    rows = [
        Row("completeness", f"{m[1]} {m[2]}: report, children ({m[5]})", f"{m[4]} ms, {m[6]} ms")
        for m in re.finditer(
            r"^(\w+)\s+(\S+)\s+members\s+([\d,]+).*?get\s+([\d.]+) ms\s+children \((\d+)\)\s+([\d.]+) ms",
            out,
            re.M,
        )
    ]
    listed = _last(r"(?m)^member list \(province, mismatch, first 100\): ([\d.]+) ms", out)
    if listed:
        rows.append(Row("completeness", "member list (province, mismatch, first 100)", f"{listed[1]} ms"))
    return rows or [Row("completeness", "no timing line in the output", status="FAIL")]


# The order: no database first, then own databases, then the shared seeded one (read-only benches first).
BENCHES: list[Bench] = [
    Bench(
        "keystore_unlock",
        "keystore_unlock_bench.py",
        "keystore_unlock.json",
        x_keystore,
        {"BENCH_REPEATS": "5"},
        minutes=(1, 1),
    ),
    Bench(
        "qr_verify",
        "qr_verify_bench.py",
        "qr_verify.json",
        x_qr,
        {"BENCH_VERIFICATIONS": "3000", "BENCH_REPEATS": "5"},
        minutes=(1, 1),
    ),
    Bench(
        "sod_sign",
        "sod_sign_bench.py",
        "sod_sign.json",
        x_sod,
        {"BENCH_SIGNATURES": "3000", "BENCH_REPEATS": "5"},
        needs=("softhsm2-util",),
        minutes=(3, 3),
    ),
    Bench(
        "batch_build",
        "batch_build_bench.py",
        "batch_build.json",
        x_batch_build,
        {"BENCH_CARDS": "5000"},
        {"BENCH_CARDS": "20000"},
        minutes=(1, 3),
    ),
    Bench(
        "status_list",
        "status_list_bench.py",
        "status_list.json",
        x_status_list,
        {"BENCH_RUNS": "2", "BENCH_LOOKUPS": "200000"},
        {"BENCH_RUNS": "5"},
        minutes=(1, 2),
    ),
    Bench(
        "card_pdf",
        "bench_card_pdf.py",
        "card_pdf.json",
        x_card_pdf,
        {"BENCH_CARDS": "100", "BENCH_BATCH": "500", "BENCH_REPEATS": "2", "BENCH_LIBS": "reportlab"},
        {"BENCH_CARDS": "200", "BENCH_BATCH": "1000", "BENCH_REPEATS": "3"},
        minutes=(1, 3),
    ),
    Bench(
        "read_card",
        "read_card_bench.py",
        "read_card.json",
        x_read_card,
        {"BENCH_READS": "100"},
        {"BENCH_READS": "200"},
        needs=("pcscd",),
        minutes=(2, 3),
    ),
    Bench("review_roundtrip", "review_roundtrip_bench.py", "review_roundtrip.json", x_review, minutes=(1, 1)),
    Bench("audit", "audit_bench.py", None, x_audit, {"BENCH_WRITES": "2000"}, minutes=(1, 1)),
    Bench(
        "import",
        "import_bench.py",
        "import.json",
        x_import,
        {"BENCH_CASES": "csv_max,xlsx_inline_max,xlsx_attack_500k"},
        {"BENCH_CASES": ""},
        minutes=(3, 6),
    ),
    Bench(
        "registry",
        "registry_bench.py",
        None,
        x_registry,
        {"BENCH_WORKERS": "2", "BENCH_RUNS": "10"},
        {"BENCH_WORKERS": "1,2", "BENCH_RUNS": "50"},
        minutes=(2, 10),
    ),
    Bench(
        "production",
        "production_bench.py",
        "production.json",
        x_production,
        {"BENCH_CARDS": "2000", "BENCH_MEMBERS": "20000"},
        {"BENCH_CARDS": "10000", "BENCH_MEMBERS": "50000"},
        minutes=(3, 8),
    ),
    Bench(
        "verify_load",
        "verify_load_bench.py",
        "verify_load.json",
        x_verify_load,
        {
            "BENCH_LABEL": "run_all",
            "BENCH_DURATION": "15",
            "BENCH_WRK_SECONDS": "10",
            "BENCH_WRK_ROUNDS": "2",
            "BENCH_SHARED_VERIFIER": "0",
        },
        {"BENCH_LABEL": "run_all", "BENCH_SHARED_VERIFIER": "0"},
        needs=("wrk",),
        minutes=(3, 5),
    ),
    Bench(
        "verify_nginx",
        "verify_nginx_bench.py",
        "verify_nginx.json",
        x_verify_nginx,
        {"BENCH_LABEL": "run_all"},
        needs=("wrk", "nginx"),
        minutes=(7, 7),
    ),
    Bench("ops_middleware", "ops_middleware_bench.py", None, x_ops_middleware, minutes=(1, 1)),
    Bench(
        "replica_router",
        "replica_router_bench.py",
        None,
        x_replica_router,
        {"BENCH_RUNS": "100"},
        {"BENCH_RUNS": "300"},
        needs=("pg_basebackup",),
        minutes=(4, 6),
    ),
    Bench(
        "deploy_sizing",
        "deploy_sizing_bench.py",
        "deploy_sizing.json",
        x_deploy_sizing,
        needs=("wrk",),
        minutes=(6, 6),
    ),
    Bench("soak", "soak.py", "soak.json", x_soak, needs=("nginx",), minutes=(13, 13)),
    Bench(
        "member_list",
        "member_list_bench.py",
        None,
        x_member_list,
        {"BENCH_RUNS": "5"},
        {"BENCH_RUNS": "20"},
        seeded=True,
        minutes=(5, 20),
    ),
    Bench("search", "search_bench.py", None, x_search, {"BENCH_RUNS": "5"}, seeded=True, minutes=(5, 20)),
    Bench(
        "reports_home",
        "reports_home_bench.py",
        "reports-home.json",
        x_reports_home,
        {"BENCH_RUNS": "5"},
        {"BENCH_RUNS": "15"},
        seeded=True,
        minutes=(2, 5),
    ),
    Bench(
        "completeness",
        "completeness_bench.py",
        None,
        x_completeness,
        {"BENCH_RUNS": "3"},
        seeded=True,
        minutes=(1, 5),
    ),
    Bench("export", "export_bench.py", "export.json", x_export, seeded=True, minutes=(2, 10)),
    Bench(
        "eligibility",
        "eligibility_bench.py",
        None,
        x_eligibility,
        {"BENCH_REPEATS": "1", "BENCH_RULES_SAMPLE": "50000"},
        {"BENCH_REPEATS": "2"},
        seeded=True,
        minutes=(2, 25),
    ),
    Bench("population_check", "population_check_bench.py", None, x_population, seeded=True, minutes=(2, 15)),
    Bench(
        "bulk_transition",
        "bulk_transition_bench.py",
        "bulk-transition.json",
        x_bulk,
        {"BENCH_CASES": "5000", "BENCH_REPEATS": "1"},
        {"BENCH_CASES": "30000", "BENCH_REPEATS": "2"},
        seeded=True,
        minutes=(2, 8),
    ),
    Bench(
        "report",
        "report_bench.py",
        "report.json",
        x_report,
        {"BENCH_RUNS": "10", "BENCH_RAW_RUNS": "1"},
        {"BENCH_RUNS": "50", "BENCH_RAW_RUNS": "3"},
        seeded=True,
        minutes=(5, 30),
    ),
    Bench(
        "sync_roundtrip",
        "sync_roundtrip_bench.py",
        "sync_roundtrip.json",
        x_sync,
        seeded=True,
        minutes=(2, 10),
    ),
]


def result_name(bench: Bench, members: int) -> str | None:
    """The JSON a bench writes; some name it after the members it measured."""
    if bench.name in ("registry",):
        return f"registry-{members}.json"
    if bench.name in ("member_list", "search", "eligibility"):
        return {"member_list": "member-list", "search": "search", "eligibility": "eligibility"}[
            bench.name
        ] + f"-{members}.json"
    return bench.result


def rows_of(bench: Bench, data: Any, output: str) -> list[Row]:
    """The bench's rows; an extractor that does not find what it expects is a FAIL row, not a crash."""
    try:
        return bench.extract(data, output)
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError) as e:
        return [Row(bench.name, f"result not understood ({type(e).__name__}: {e})", status="FAIL")]


# --------------------------------------------------------------------------------------------------------
# Machine and table.


def machine(pg_admin_url: str | None = None) -> dict[str, Any]:
    from common import machine_info  # bench/common.py

    found = machine_info()
    info: dict[str, Any] = {"cores": found.pop("nproc"), "ram_gib": found.pop("mem_total_gib"), **found}
    git = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    )
    info["git_commit"] = git.stdout.strip() + (" (modified)" if dirty.stdout.strip() else "")
    if pg_admin_url:
        try:
            import psycopg

            with psycopg.connect(pg_admin_url, autocommit=True, connect_timeout=5) as conn:
                info["postgres"] = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        except Exception as e:
            info["postgres"] = f"unreachable ({type(e).__name__})"
    return info


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: Sequence[Row], info: dict[str, Any]) -> str:
    """The one table, with the machine above it."""
    head = [
        "# Benchmarks (`make bench`)",
        "",
        f"Run {info.get('started', '')} → {info.get('finished', '')}, scale {info.get('scale', '')}"
        f" ({info.get('members', '')} members in the shared seeded database),"
        f" git {info.get('git_commit', '')}.",
        f"Machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores,"
        f" {info.get('ram_gib', '?')} GiB RAM, "
        f"Python {info.get('python', '?')}, PostgreSQL {info.get('postgres', '?')}; load average "
        f"{info.get('loadavg_start', '?')} at the start, {info.get('loadavg_end', '?')} at the end.",
        *(f"Re-run since (`BENCH_MERGE=1`): {r}." for r in info.get("reruns", [])),
        "",
        "| benchmark | figure | value | raw limit (same run) | ratio | bar | result |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    body = [
        "| "
        + " | ".join(_cell(c) for c in (r.bench, r.figure, r.value, r.raw, r.ratio, r.bar, r.status))
        + " |"
        for r in rows
    ]
    passed = sum(r.status == "PASS" for r in rows)
    failed = [r for r in rows if r.status not in ("PASS", "info")]
    tail = ["", f"{passed} figures pass their bar; {len(failed)} rows fail or gave no figure."]
    return "\n".join(head + body + tail) + "\n"


def merged(
    previous: dict[str, Any], rows: list[Row], info: dict[str, Any], chosen: Sequence[Bench]
) -> tuple[list[Row], dict[str, Any]]:
    """``BENCH_MERGE=1``: the previous table with the rows of the benches run now in place of theirs (in
    the runner's order), and a line saying which were re-run, when, at what load, at which commit."""
    ran = {b.name for b in chosen}
    old_rows = [Row(**r) for r in previous["rows"]]
    out: list[Row] = []
    for bench in BENCHES:
        source = rows if bench.name in ran else old_rows
        out += [r for r in source if r.bench == bench.name]
    known = {b.name for b in BENCHES}
    out += [r for r in old_rows if r.bench not in known and r.bench not in ran]
    kept = dict(previous["machine"])
    reruns = list(kept.get("reruns", []))
    reruns.append(
        f"{', '.join(sorted(ran))} re-run {info['started']} → {info['finished']} at git {info['git_commit']},"
        f" load average {info['loadavg_start']} → {info['loadavg_end']}"
    )
    kept["reruns"] = reruns
    return out, kept


# --------------------------------------------------------------------------------------------------------
# Running.


def _missing(bench: Bench) -> str | None:
    for command in bench.needs:
        if shutil.which(command) is None and not Path("/usr/sbin", command).exists():
            return f"SKIPPED: no {command} on this machine"
    return None


def _run(bench: Bench, env: dict[str, str], timeout: float) -> tuple[int | None, str, float]:
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{bench.name}.log"
    started = time.monotonic()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(HERE / bench.script)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            rc: int | None = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            rc = None
    return rc, log_path.read_text(errors="replace"), time.monotonic() - started


def _set_aside(target: Path, kept: bytes | None) -> Path:
    """Move a bench's fresh JSON to bench/results/table-inputs/ and put back the one it replaced: the
    files in bench/results/ are the runs docs/performance.md cites (many at national scale), which a quick
    ``make bench`` must not overwrite. Returns where the fresh one now is."""
    INPUTS.mkdir(parents=True, exist_ok=True)
    moved = INPUTS / target.name
    moved.write_bytes(target.read_bytes())
    if kept is None:
        target.unlink()
    else:
        target.write_bytes(kept)
    return moved


def _drop(admin: str, name: str) -> None:
    import psycopg

    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as e:
        print(f"could not drop {name}: {e}", flush=True)


def _partycard(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "partycard.cli", *args], env=env, check=True, capture_output=True)


def main() -> int:
    scale = os.environ.get("BENCH_SCALE", "quick")
    national = scale == "national"
    members = int(
        os.environ.get("BENCH_MEMBERS", "").replace("_", "") or (5_600_000 if national else 200_000)
    )
    timeout = float(os.environ.get("BENCH_TIMEOUT", "") or (14_400 if national else 1_800))
    admin = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    only = {n for n in os.environ.get("BENCH_ONLY", "").split(",") if n}
    skip = {n for n in os.environ.get("BENCH_SKIP", "").split(",") if n}
    chosen = [b for b in BENCHES if (not only or b.name in only) and b.name not in skip]
    info = machine(admin) | {
        "started": time.strftime("%Y-%m-%d %H:%M %Z"),
        "scale": scale,
        "members": f"{members:,}",
        "loadavg_start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }
    expected = sum(b.minutes[1 if national else 0] for b in chosen)
    print(f"{len(chosen)} benches, expected ~{expected:.0f} min on 2 cores (plus the seed)", flush=True)
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(HERE)])
    seeded_url = admin.rsplit("/", 1)[0] + f"/partycard_bench_all_{os.getpid()}"
    rows: list[Row] = []
    seeded = False
    try:
        for bench in chosen:
            missing = _missing(bench)
            if missing:
                rows.append(Row(bench.name, bench.script, status=missing))
                print(f"{bench.name}: {missing}", flush=True)
                continue
            env = {**base, **(bench.national_env if national and bench.national_env else bench.env)}
            env = {k: v for k, v in env.items() if v != ""}
            if bench.name in ("registry", "production"):
                env["BENCH_MEMBERS"] = (
                    env.get("BENCH_MEMBERS", str(members)) if bench.name == "production" else str(members)
                )
            if bench.seeded:
                if not seeded:
                    print(f"seeding {members:,} members into {seeded_url.rsplit('/', 1)[1]} …", flush=True)
                    import psycopg

                    _drop(admin, seeded_url.rsplit("/", 1)[1])
                    with psycopg.connect(admin, autocommit=True) as conn:
                        conn.execute(f'CREATE DATABASE "{seeded_url.rsplit("/", 1)[1]}"')
                    seeded = True
                    seed_env = {
                        **base,
                        "DATABASE_URL": seeded_url,
                        "DJANGO_SETTINGS_MODULE": "partycard.settings.dev",
                    }
                    _partycard(seed_env, "migrate", "--no-input", "-v", "0")
                    _partycard(seed_env, "seed", "--members", str(members), "--no-progress")
                env.update(BENCH_DATABASE_URL=seeded_url, DATABASE_URL=seeded_url)
            else:  # a database of its own, which most of them drop and recreate; dropped after it here
                env.setdefault(
                    "BENCH_DATABASE_URL", admin.rsplit("/", 1)[0] + f"/partycard_bench_{bench.name}"
                )
                env.setdefault("BENCH_DB", f"partycard_bench_{bench.name}")
            name = result_name(bench, members)
            target = RESULTS / name if name else None
            before = target.stat().st_mtime if target and target.exists() else 0.0
            kept = target.read_bytes() if target and target.exists() else None
            print(f"{bench.name}: running ({bench.script}) …", flush=True)
            rc, output, seconds = _run(bench, env, timeout)
            if not bench.seeded:
                _drop(admin, f"partycard_bench_{bench.name}")
            fresh = target is not None and target.exists() and target.stat().st_mtime > before
            if target is not None and fresh:
                target = _set_aside(target, kept)
            if rc is None:
                rows.append(Row(bench.name, bench.script, status=f"FAILED: stopped after {timeout:.0f} s"))
            elif rc != 0 and not fresh:
                last = output.strip().splitlines()[-1:] or [""]
                rows.append(Row(bench.name, bench.script, status=f"FAILED: exit {rc} ({last[0][:120]})"))
            elif target is not None and not fresh:
                rows.append(Row(bench.name, bench.script, status=f"FAILED: no fresh {target.name}"))
            else:
                data = json.loads(target.read_text()) if target is not None else None
                found = rows_of(bench, data, output)
                if rc != 0:  # a bench that exits 1 on a missed bar still wrote its figures
                    found.append(Row(bench.name, f"exit status {rc}", status="FAIL"))
                rows += found
            print(
                f"{bench.name}: {seconds:.0f} s, "
                + ", ".join(f"{r.figure[:40]}={r.status}" for r in rows if r.bench == bench.name),
                flush=True,
            )
    finally:
        if seeded:
            _drop(admin, seeded_url.rsplit("/", 1)[1])
    info["finished"] = time.strftime("%Y-%m-%d %H:%M %Z")
    info["loadavg_end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    if os.environ.get("BENCH_MERGE") == "1" and (RESULTS / "table.json").exists():
        rows, info = merged(json.loads((RESULTS / "table.json").read_text()), rows, info, chosen)
    table = markdown_table(rows, info)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "table.md").write_text(table)
    (RESULTS / "table.json").write_text(
        json.dumps({"machine": info, "rows": [asdict(r) for r in rows]}, indent=1, ensure_ascii=False) + "\n"
    )
    print(table)
    return 0 if all(r.status in ("PASS", "info") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
