"""``make bench``'s one table (bench/run_all.py) from sample result files: each bench's JSON becomes rows
with its figure, the raw limit of the same run, the ratio, the bar and PASS/FAIL; a result the runner
does not understand, and a bench that gave no figure, are rows that say so. No bench runs here."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import run_all
from run_all import Row, markdown_table, rows_of

BENCHES = {b.name: b for b in run_all.BENCHES}

QR_VERIFY = {
    "bar": {"ratio": 0.7, "measure": "session"},
    "per_call_us_median": {"raw": 48.4, "session": 66.3, "rotating": 127.4},
    "ratio_session": {"median": 0.73},
    "ratio_rotating": {"median": 0.382},
    "pass": True,
}
VERIFY_LOAD = {
    "run_all": {
        "settings": {"rate": 1000},
        "as_is": {
            "open_loop_noop": {"latency_ms": {"p99": 7.35}},
            "saturation": {"verify_median_rps": 1020.0, "noop_median_rps": 3391.7},
        },
        "bars": {
            "fixed_rate": {"p99_ms": 28.5, "errors": 0, "achieved_rate": 998.0, "pass": False},
            "saturation": {"ratio": 0.301, "pass": False},
        },
    }
}
REGISTRY = {
    "table": [
        ["measure", "result", "bar", ""],
        ["raw COPY, no indexes (baseline)", "340,828 rows/s", "", ""],
        ["seed --workers 2: member load", "189,189 rows/s = 56% of COPY", "≥ 50 % of raw COPY", "PASS"],
        ["subtree_member_count(P01) p50 / p95", "10.88 / 11.71 ms", "< 20 ms", "PASS"],
    ]
}


def test_a_passing_ratio_bench_gives_its_figure_raw_ratio_and_bar() -> None:
    rows = rows_of(BENCHES["qr_verify"], QR_VERIFY, "")
    session = next(r for r in rows if "session" in r.figure)
    assert (session.value, session.ratio, session.bar, session.status) == (
        "66.3 µs",
        "73%",
        "≥ 70% of raw",
        "PASS",
    )
    assert "48.4" in session.raw
    rotating = next(r for r in rows if "rotating" in r.figure)
    assert rotating.status == "info" and rotating.bar == ""  # held to no bar: said, not failed


def test_a_missed_bar_is_a_fail_row() -> None:
    rows = rows_of(BENCHES["verify_load"], VERIFY_LOAD, "")
    assert [r.status for r in rows] == ["FAIL", "FAIL"]
    assert rows[0].value.startswith("28.5 ms") and rows[0].bar == "< 20 ms, no error"
    assert rows[1].ratio == "30%" and "3,392" in rows[1].raw


def test_a_table_bench_keeps_its_rows_with_a_bar_and_names_the_raw_one() -> None:
    rows = rows_of(BENCHES["registry"], REGISTRY, "")
    assert [r.figure for r in rows] == [
        "seed --workers 2: member load",
        "subtree_member_count(P01) p50 / p95",
    ]
    assert all("340,828" in r.raw for r in rows)
    assert all(r.status == "PASS" for r in rows)


def test_figures_from_output_when_a_bench_writes_no_json() -> None:
    out = (
        "plain write   mean 0.412 ms  p50 0.400 ms\n"
        "audit append overhead per write: 0.310 ms (bar < 2 ms: PASS)\n"
    )
    (row,) = rows_of(BENCHES["audit"], None, out)
    assert (row.value, row.raw, row.bar, row.status) == ("0.310 ms", "plain write 0.412 ms", "< 2 ms", "PASS")
    (missing,) = rows_of(BENCHES["audit"], None, "Traceback …")
    assert missing.status == "FAIL"


def test_completeness_lines_but_not_its_explain() -> None:
    out = (
        "centre    TW           members   200,000  incomplete    12,345  "
        "get     12.3 ms  children (40)     45.6 ms\n"
        "member list (province, mismatch, first 100): 7.8 ms, 100 rows\n"
        "Execution Time: 999.9 ms\n"
    )
    rows = rows_of(BENCHES["completeness"], None, out)
    assert [(r.figure, r.value) for r in rows] == [
        ("centre TW: report, children (40)", "12.3 ms, 45.6 ms"),
        ("member list (province, mismatch, first 100)", "7.8 ms"),
    ]


def test_a_result_the_runner_does_not_understand_is_a_fail_row_not_a_crash() -> None:
    (row,) = rows_of(BENCHES["qr_verify"], {"unexpected": 1}, "")
    assert row.status == "FAIL" and "not understood" in row.figure


def test_the_markdown_table_has_the_machine_every_row_and_a_count() -> None:
    rows = [
        *rows_of(BENCHES["qr_verify"], QR_VERIFY, ""),
        Row("read_card", "read_card_bench.py", status="SKIPPED: no pcscd on this machine"),
    ]
    info = {
        "cpu": "Test CPU",
        "cores": 2,
        "ram_gib": 7.8,
        "python": "3.11.2",
        "postgres": "15.5",
        "loadavg_start": "1.0 0.5 0.2",
        "loadavg_end": "2.0 1.0 0.5",
        "git_commit": "abc1234",
    }
    table = markdown_table(rows, info)
    lines = table.splitlines()
    assert "Test CPU, 2 cores, 7.8 GiB RAM, Python 3.11.2, PostgreSQL 15.5" in table
    assert "1.0 0.5 0.2 at the start, 2.0 1.0 0.5 at the end" in table and "git abc1234" in table
    header = lines.index("| benchmark | figure | value | raw limit (same run) | ratio | bar | result |")
    body = [line for line in lines[header + 2 :] if line.startswith("| ")]
    assert len(body) == len(rows)
    assert body[-1].endswith("| SKIPPED: no pcscd on this machine |")  # not dropped
    assert "1 figures pass their bar; 1 rows fail or gave no figure." in table


def _nginx_source(p99: float, verify_rps: float, noop_rps: float) -> dict[str, object]:
    ratio = round(verify_rps / noop_rps, 3)
    return {
        "open_loop": {"noop": {"latency_ms": {"p99": 3.3}}},
        "saturation": {"median_rps": {"verify": verify_rps, "noop": noop_rps, "nginx_noop": 9000.0}},
        "bars": {
            "fixed_rate": {"p99_ms": p99, "errors": 0, "achieved_rate": 999.9, "pass": p99 < 20},
            "saturation": {"ratio": ratio, "pass": ratio >= 0.4},
        },
    }


def test_the_verify_endpoint_through_nginx_gives_both_bars_per_status_source() -> None:
    data = {
        "run_all": {
            "settings": {"BENCH_RATE": 1000},
            "files": _nginx_source(6.0, 2178.0, 3473.0),
            "database": _nginx_source(25.0, 1000.0, 3500.0),
        }
    }
    rows = rows_of(BENCHES["verify_nginx"], data, "")
    assert [(r.figure.split(":")[0], r.status) for r in rows] == [
        ("files status lists", "PASS"),
        ("files status lists", "PASS"),
        ("database status lists", "FAIL"),
        ("database status lists", "FAIL"),
    ]
    assert rows[0].value.startswith("6.0 ms (999.9/s, 0 errors)") and "3.3 ms" in rows[0].raw
    assert rows[1].ratio == "63%" and "3,473" in rows[1].raw and "9,000" in rows[1].raw


def test_the_soak_fails_on_a_leaking_process_and_lists_busy_routes_only() -> None:
    data = {
        "settings": {"seconds": 600},
        "pass": False,
        "load": {
            "requests": 15555,
            "errors": {"total": 0},
            "routes": {
                "POST /api/v1/verify (valid)": {
                    "count": 12000, "p50_ms": 28, "p95_ms": 90, "p99_ms": 150
                },
                "GET /dang-nhap/": {"count": 8, "p50_ms": 5, "p95_ms": 9, "p99_ms": 9},
            },
        },
        "memory": [
            {"name": "granian-1", "slope_mib_per_10_min": 5.2, "threshold_mib_per_10_min": 10, "ok": True},
            {"name": "worker", "slope_mib_per_10_min": 14.0, "threshold_mib_per_10_min": 10, "ok": False},
        ],
    }  # fmt: skip
    rows = rows_of(BENCHES["soak"], data, "")
    assert [r.status for r in rows] == ["FAIL", "PASS", "FAIL", "info"]
    assert rows[0].value == "15,555 requests, 0 errors"
    assert rows[-1].figure.startswith("POST /api/v1/verify") and rows[-1].value == "28 / 90 / 150 ms"


def test_sizing_rows_are_ratios_to_the_best_combination() -> None:
    data = {
        "runs": [
            {"workers": 2, "threads": 4, "officer_page": {"rps": 50.0}, "verify": {"rps": 2000.0}},
            {"workers": 1, "threads": 1, "officer_page": {"rps": 25.0}, "verify": {"rps": 1500.0}},
        ]
    }
    rows = rows_of(BENCHES["deploy_sizing"], data, "")
    assert [r.ratio for r in rows] == ["100% / 100%", "50% / 75%"]
    assert all(r.status == "info" for r in rows)


def test_router_and_middleware_figures_come_from_their_printed_lines() -> None:
    out = (
        "| GET /dang-vien/, no router (primary) | 152.60 | 265.50 |\n"
        "| GET /dang-vien/, router → replica | 149.80 | 296.50 |\n"
        "| `db_for_read`, inside (state cached) | 2.50 µs | |\n"
    )
    page, decision = rows_of(BENCHES["replica_router"], None, out)
    assert page.value == "149.80 / 296.50 ms" and "152.60" in page.raw and page.ratio == "102%"
    assert decision.value == "2.50 µs"
    (middleware,) = rows_of(
        BENCHES["ops_middleware"],
        None,
        "single process: view alone 10.00 µs, with the middleware 42.00 µs: overhead 32.00 µs/request\n",
    )
    assert (middleware.value, middleware.ratio) == ("32.00 µs", "24%")
    (missing,) = rows_of(BENCHES["replica_router"], None, "Traceback …")
    assert missing.status == "FAIL"


def test_a_merged_re_run_replaces_only_its_benches_rows_and_says_so() -> None:
    previous = {
        "machine": {"cpu": "Test CPU", "started": "2026-12-07 18:07 UTC", "git_commit": "aaa1111"},
        "rows": [
            {"bench": "qr_verify", "figure": "old qr", "status": "PASS"},
            {"bench": "verify_nginx", "figure": "old nginx", "status": "FAIL"},
            {"bench": "soak", "figure": "old soak", "status": "PASS"},
        ],
    }
    new = [Row("verify_nginx", "new nginx", status="PASS")]
    info = {
        "started": "2026-12-07 19:40 UTC",
        "finished": "2026-12-07 19:49 UTC",
        "git_commit": "bbb2222",
        "loadavg_start": "0.5",
        "loadavg_end": "3.0",
    }
    rows, kept = run_all.merged(previous, new, info, [BENCHES["verify_nginx"]])
    assert [r.figure for r in rows] == ["old qr", "new nginx", "old soak"]  # the runner's order
    assert kept["git_commit"] == "aaa1111" and kept["cpu"] == "Test CPU"  # the whole run's machine line
    (rerun,) = kept["reruns"]
    assert "verify_nginx re-run 2026-12-07 19:40 UTC → 2026-12-07 19:49 UTC at git bbb2222" in rerun
    table = markdown_table(rows, kept)
    assert "Re-run since (`BENCH_MERGE=1`): verify_nginx re-run" in table
