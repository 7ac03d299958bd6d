"""Registry benchmarks (issue 2): seeding throughput and memory, subtree counts, accent-insensitive search.

Run (PostgreSQL only; the database named in the URL is DROPPED and recreated)::

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_bench \
    BENCH_MEMBERS=5600000 .venv/bin/python bench/registry_bench.py

Environment:
    BENCH_DATABASE_URL  the bench database (dropped and recreated; default as above)
    BENCH_MEMBERS       members to seed (default 5,600,000; 200000 for a quick check)
    BENCH_WORKERS       comma-separated ``--workers`` values, each seeded into a fresh database
                        (default "1,2"); the query benchmarks run on the database of the last one
    BENCH_SEED          random seed (default 1)
    BENCH_COPY_SAMPLE   rows for the raw COPY baseline (default min(members, 1,000,000))
    BENCH_RUNS          timed runs per query (default 50)
    BENCH_QUERIES_ONLY  1 = skip database creation and seeding: re-run the query benchmarks on the database a
                        previous full run left, and merge into its JSON (the old figures under
                        "queries_previous")

Steps: create the database and migrate; raw COPY baseline (the seed's own member rows, generated into memory
first, then ``COPY ... FROM STDIN`` into an index-free copy of the member table); ``partycard seed`` as a
subprocess whose memory is sampled (RSS of it and its generator workers) and read back with ``wait4``;
then the selectors and the search page through Django's test client. Prints a table and writes
``bench/results/registry-<members>.json``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import psycopg

HERE = Path(__file__).resolve().parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/partycard_bench"
GIB = 1024**3

BARS = {
    "seed_copy_ratio": 0.50,  # seed member-load rows/s ÷ raw COPY rows/s, at least
    "seed_wall_seconds": 600.0,  # whole seed (subprocess wall time), at most
    "seed_peak_rss_bytes": 1 * GIB,  # seed process + generator workers, at most
    "subtree_count_ms": 20.0,  # p95, at most
    "committee_counts_ms": 200.0,  # p95, at most
    "search_ms": 300.0,  # p95 over the query mix, at most
}

# (kind, what the user types). The accented query folds to the same needle as the first one.
SEARCH_QUERIES = [
    ("full name", "nguyen van an"),
    ("full name", "tran thi thu"),
    ("family + given", "le hung"),
    ("given name alone", "thuy"),
    ("rare name", "luc thi thoa"),
    ("typed with accents", "Nguyễn Văn An"),
]

# Not part of the bar's mix: shorter, very common fragments, measured on the selector for the record.
EXTRA_QUERIES = [
    ("middle name alone", "van"),
    ("middle name alone", "thi"),
    ("family name alone", "nguyen"),
    ("family name alone", "pham"),
    ("family + middle", "nguyen thi"),
    ("two letters (no trigram)", "an"),
]

SEED_LINE = re.compile(
    r"Seeded (?P<orgs>[\d,]+) organisations and (?P<members>[\d,]+) members in (?P<total>[\d.]+) s "
    r"\(members (?P<load>[\d.]+) s, indexes and counters (?P<finish>[\d.]+) s"
)


# --------------------------------------------------------------------------------------------- helpers


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, "").replace("_", "").replace(",", "") or default)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summary_ms(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {
        "runs": len(ms),
        "p50_ms": round(statistics.median(ms), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "max_ms": round(max(ms), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


def timed(fn: Callable[[], Any], runs: int, warmup: int = 3) -> tuple[list[float], Any]:
    result = None
    for _ in range(warmup):
        result = fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return samples, result


def machine_info(url: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["mem_total_gib"] = round(int(line.split()[1]) * 1024 / GIB, 1)
    except OSError:
        pass
    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        info["postgres"] = conn.execute("SELECT version()").fetchone()[0]  # type: ignore[index]
        for name in (
            "autovacuum",
            "shared_buffers",
            "work_mem",
            "maintenance_work_mem",
            "effective_cache_size",
            "max_parallel_workers_per_gather",
            "max_wal_size",
            "synchronous_commit",
        ):
            info[name] = conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
    return info


# --------------------------------------------------------------------------------------------- database


def recreate_database(url: str) -> None:
    from django.db import connections

    connections.close_all()
    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def checkpoint(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


# --------------------------------------------------------------------------------------------- 1. seeding


def raw_copy_baseline(url: str, members: int, seed: int, sample: int) -> dict[str, Any]:
    """COPY of the seed's first ``sample`` member rows, pre-generated in memory, into an index-free table."""
    from partycard.registry.seeding import people
    from partycard.registry.seeding.loader import make_plan
    from partycard.registry.seeding.tree import build_tree

    tree = build_tree(members, seed)
    plan = make_plan(tree, seed, "2026-01-01 00:00:00+00")
    chunk = 50_000
    t0 = time.perf_counter()
    payload = [
        people.chunk_copy_text(plan, first, min(sample, first + chunk - 1))
        for first in range(1, sample + 1, chunk)
    ]
    generate_seconds = time.perf_counter() - t0
    size = sum(len(p) for p in payload)
    cols = ", ".join(people.COLUMNS)
    result: dict[str, Any] = {
        "rows": sample,
        "bytes": size,
        "generate_seconds_one_process": round(generate_seconds, 3),
        "generate_rows_per_s_one_process": round(sample / generate_seconds),
    }
    variants = [("no_indexes", ""), ("with_primary_key", "ALTER TABLE {t} ADD PRIMARY KEY (id)")]
    for label, extra in variants:
        table = f"bench_copy_{label}"
        checkpoint(url)
        with psycopg.connect(url) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(f"CREATE TABLE {table} (LIKE registry_member INCLUDING DEFAULTS)")
            if extra:
                conn.execute(extra.format(t=table))
            conn.commit()
            t0 = time.perf_counter()
            with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for block in payload:
                    copy.write(block)
            conn.commit()
            seconds = time.perf_counter() - t0
            conn.execute(f"DROP TABLE {table}")
            conn.commit()
        result[label] = {"seconds": round(seconds, 3), "rows_per_s": round(sample / seconds)}
    del payload
    checkpoint(url)
    return result


class TreeSampler(threading.Thread):
    """Polls the RSS of a process and all its descendants (the seed and its spawned generator workers)."""

    def __init__(self, pid: int, interval: float = 0.1, *, skip_root: bool = False) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.skip_root = pid, interval, skip_root
        self.peak_sum = 0
        self.peak_single = 0
        self.peak_processes = 0
        self.stop = threading.Event()

    @staticmethod
    def _parents() -> dict[int, int]:
        parents = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        return parents

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def run(self) -> None:
        while not self.stop.is_set():
            parents = self._parents()
            tree, frontier = {self.pid}, [self.pid]
            while frontier:
                p = frontier.pop()
                kids = [c for c, pp in parents.items() if pp == p]
                tree.update(kids)
                frontier.extend(kids)
            if self.skip_root:  # the GNU time wrapper itself
                tree.discard(self.pid)
            rss = [self._rss(p) for p in tree]
            self.peak_sum = max(self.peak_sum, sum(rss))
            self.peak_single = max(self.peak_single, max(rss, default=0))
            self.peak_processes = max(self.peak_processes, len(tree))
            self.stop.wait(self.interval)


def run_seed(url: str, members: int, seed: int, workers: int) -> dict[str, Any]:
    cli = Path(sys.executable).with_name("partycard")
    cmd = [
        str(cli),
        "seed",
        "--members",
        str(members),
        "--seed",
        str(seed),
        "--workers",
        str(workers),
        "--no-progress",
    ]
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "partycard.settings.dev"}
    # GNU time reports the seed's max RSS (its own or a worker's, whichever is larger). Read from our own
    # wait4 instead, the figure would include this large bench process, which the seed is forked from.
    gnu_time = Path("/usr/bin/time")
    with tempfile.TemporaryFile("w+") as out, tempfile.NamedTemporaryFile("r") as rss_file:
        launch = [str(gnu_time), "-f", "%M", "-o", rss_file.name, *cmd] if gnu_time.exists() else cmd
        t0 = time.perf_counter()
        proc = subprocess.Popen(launch, stdout=out, stderr=subprocess.STDOUT, env=env)
        sampler = TreeSampler(proc.pid, skip_root=launch is not cmd)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop.set()
        sampler.join()
        out.seek(0)
        output = out.read()
        max_rss_kib = int(rss_file.read().strip().splitlines()[-1]) if launch is not cmd else usage.ru_maxrss
    if proc.returncode != 0:
        raise SystemExit(f"seed failed ({proc.returncode}):\n{output}")
    m = SEED_LINE.search(output)
    if m is None:
        raise SystemExit(f"cannot read the seed report from:\n{output}")
    load = float(m["load"])
    return {
        "workers": workers,
        "command": " ".join(["partycard", *cmd[1:]]),
        "organisations": int(m["orgs"].replace(",", "")),
        "members": int(m["members"].replace(",", "")),
        "load_seconds": load,
        "finish_seconds": float(m["finish"]),
        "total_seconds_reported": float(m["total"]),
        "wall_seconds": round(wall, 2),
        "load_rows_per_s": round(members / load),
        # Max RSS of the largest single process of the seed's tree (the seed or a worker).
        "max_rss_single_process_bytes": max_rss_kib * 1024,
        "max_rss_source": "GNU time %M"
        if launch is not cmd
        else "wait4 ru_maxrss (includes the bench's image)",
        # Sampled every 0.1 s: the seed process plus its generator workers, summed.
        "peak_rss_tree_bytes": sampler.peak_sum,
        "peak_processes": sampler.peak_processes,
        "cpu_user_seconds": round(usage.ru_utime, 1),
        "cpu_system_seconds": round(usage.ru_stime, 1),
        "output": output.strip().splitlines()[-1],
    }


def table_sizes() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
            "AND c.relname LIKE 'registry_%%' AND c.relkind IN ('r', 'i') "
            "AND pg_relation_size(c.oid) > 1048576 ORDER BY 2 DESC"
        )
        return {name: size for name, size in cur.fetchall()}


def applied_migrations() -> list[str]:
    from django.db.migrations.recorder import MigrationRecorder

    return [
        f"{m.app}.{m.name}" for m in MigrationRecorder.Migration.objects.filter(app="registry").order_by("id")
    ]


# --------------------------------------------------------------------------------------------- 2-4. queries


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(r[0] for r in cur.fetchall())


def explain_search(fn: Callable[[], Any]) -> dict[str, Any]:
    """Replay a member_search call's statements: its planner settings as they were, EXPLAIN of each search."""
    from django.db import connection, transaction

    plans, steps = [], []
    with transaction.atomic(), connection.cursor() as cur:
        for sql in captured_sql(fn):
            if "set_config" in sql:
                cur.execute(sql)
            elif "registry_searchentry" in sql and not sql.startswith("EXPLAIN"):
                # issue 15: the list's index, read in list order (registry/selectors.py, _member_hits)
                steps.append("pair entries" if "word = ' " in sql else "search entries")
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plans.append("\n".join(r[0] for r in cur.fetchall()))
    return {"steps": steps or ["plain ORM query"], "explain": "\n\n".join(plans)}


def captured_sql(fn: Callable[[], Any]) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [q["sql"] for q in ctx.captured_queries]


def member_table_state() -> dict[str, Any]:
    """Whether the member table was vacuumed (visibility map) when the queries ran: the seed only ANALYZEs."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relpages, c.relallvisible, s.last_vacuum, s.last_autovacuum, "
            "current_setting('autovacuum') FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.relname = 'registry_member'"
        )
        pages, visible, vacuum, autovacuum, setting = cur.fetchone()
    return {
        "relpages": pages,
        "relallvisible": visible,
        "last_vacuum": str(vacuum),
        "last_autovacuum": str(autovacuum),
        "autovacuum": setting,
    }


def query_benchmarks(runs: int) -> dict[str, Any]:
    from django.test import Client

    from partycard.accounts.models import Role, User
    from partycard.registry import selectors
    from partycard.registry.models import Organisation

    root = Organisation.objects.get(code="P01")
    out: dict[str, Any] = {"root": {"code": root.code, "name": root.name, "path": root.path}}

    # 2. a province's subtree member count
    samples, total = timed(lambda: selectors.subtree_member_count(root), runs)
    out["subtree_member_count"] = {
        **summary_ms(samples),
        "members": total,
        "explain": explain(captured_sql(lambda: selectors.subtree_member_count(root))[0]),
    }

    # 3. all committees by level
    samples, counts = timed(selectors.committee_level_counts, runs)
    out["committee_level_counts"] = {
        **summary_ms(samples),
        "committees": len(counts),
        "explain": explain(captured_sql(selectors.committee_level_counts)[0]),
    }

    # 4. accent-insensitive search, first page, in P01's subtree: the selector, then the page over HTTP
    user, _ = User.objects.get_or_create(
        username="bench-p01", defaults={"organisation": root, "role": Role.COMMITTEE_OFFICER}
    )
    client = Client()
    client.force_login(user)
    # The search page sits behind the officer's TOTP step: mark the session verified, as after that step.
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    def search(q: str) -> list[Any]:
        return selectors.member_search(root, q, limit=50)

    def page(q: str) -> int:
        response = client.get("/dang-vien/?" + urlencode({"q": q}))
        if response.status_code != 200:
            raise SystemExit(f"/dang-vien/?q={q} answered {response.status_code}")
        return len(response.content)

    per_query: dict[str, dict[str, Any]] = {}
    for kind, q in SEARCH_QUERIES:
        per_query[q] = {"kind": kind, "server": [], "http": [], "results": len(search(q))}
        for _ in range(3):
            search(q)
            page(q)
    server_all: list[float] = []
    http_all: list[float] = []
    for _ in range(runs):  # round-robin over the mix, so no query is measured only right after itself
        for _kind, q in SEARCH_QUERIES:
            t0 = time.perf_counter()
            search(q)
            t1 = time.perf_counter()
            page(q)
            t2 = time.perf_counter()
            per_query[q]["server"].append(t1 - t0)
            per_query[q]["http"].append(t2 - t1)
    for q, r in per_query.items():
        server_all += r["server"]
        http_all += r["http"]
        r["server"] = summary_ms(r["server"])
        r["http"] = summary_ms(r["http"])
        r.update(explain_search(lambda q=q: search(q)))
    extra: dict[str, dict[str, Any]] = {}
    for kind, q in EXTRA_QUERIES:
        samples, hits = timed(lambda q=q: search(q), min(runs, 10), warmup=1)
        extra[q] = {
            "kind": kind,
            "results": len(hits),
            "server": summary_ms(samples),
            **explain_search(lambda q=q: search(q)),
        }
    out["member_search_extra"] = extra
    out["member_table_state"] = member_table_state()
    out["member_search"] = {
        "server": summary_ms(server_all),
        "http": summary_ms(http_all),
        "queries": per_query,
    }
    return out


# --------------------------------------------------------------------------------------------- report


def verdict(value: float, bar: float, *, at_least: bool = False) -> str:
    ok = value >= bar if at_least else value < bar
    return "PASS" if ok else "FAIL"


def build_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    copy = results["raw_copy"]["no_indexes"]["rows_per_s"]
    rows.append(("raw COPY, no indexes (baseline)", f"{copy:,} rows/s", "", ""))
    for s in results["seeds"]:
        w = s["workers"]
        ratio = s["load_rows_per_s"] / copy
        s["copy_ratio"] = round(ratio, 3)
        rows += [
            (
                f"seed --workers {w}: member load",
                f"{s['load_rows_per_s']:,} rows/s = {ratio:.0%} of COPY",
                "≥ 50 % of raw COPY",
                verdict(ratio, BARS["seed_copy_ratio"], at_least=True),
            ),
            (
                f"seed --workers {w}: wall (load {s['load_seconds']:.0f} s"
                f" + indexes {s['finish_seconds']:.0f} s)",
                f"{s['wall_seconds']:.0f} s",
                "< 600 s",
                verdict(s["wall_seconds"], BARS["seed_wall_seconds"]),
            ),
            (
                f"seed --workers {w}: peak RSS, seed + workers",
                f"{s['peak_rss_tree_bytes'] / 2**20:,.0f} MiB"
                f" (largest process {s['max_rss_single_process_bytes'] / 2**20:,.0f})",
                "< 1 GiB",
                verdict(s["peak_rss_tree_bytes"], BARS["seed_peak_rss_bytes"]),
            ),
        ]
    q = results["queries"]
    st, cc = q["subtree_member_count"], q["committee_level_counts"]
    rows.append(
        (
            "subtree_member_count(P01) p50 / p95",
            f"{st['p50_ms']:.2f} / {st['p95_ms']:.2f} ms",
            "< 20 ms",
            verdict(st["p95_ms"], BARS["subtree_count_ms"]),
        )
    )
    rows.append(
        (
            "committee_level_counts() p50 / p95",
            f"{cc['p50_ms']:.1f} / {cc['p95_ms']:.1f} ms",
            "< 200 ms",
            verdict(cc["p95_ms"], BARS["committee_counts_ms"]),
        )
    )
    ms = q["member_search"]
    for where in ("server", "http"):
        label = "selector" if where == "server" else "HTTP page"
        rows.append(
            (
                f"member_search(P01) {label} p50 / p95",
                f"{ms[where]['p50_ms']:.1f} / {ms[where]['p95_ms']:.1f} ms",
                "p95 < 300 ms",
                verdict(ms[where]["p95_ms"], BARS["search_ms"]),
            )
        )
    for text, r in ms["queries"].items():
        rows.append(
            (
                f"  “{text}” ({r['results']} hits) selector / HTTP p95",
                f"{r['server']['p95_ms']:.1f} / {r['http']['p95_ms']:.1f} ms",
                "",
                "",
            )
        )
    for text, r in q.get("member_search_extra", {}).items():
        rows.append(
            (
                f"  (not in the mix) “{text}” ({r['results']} hits) selector p50 / p95",
                f"{r['server']['p50_ms']:.1f} / {r['server']['p95_ms']:.1f} ms",
                "",
                "",
            )
        )
    return rows


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("BENCH_DATABASE_URL must be a PostgreSQL URL")
    members = env_int("BENCH_MEMBERS", 5_600_000)
    seed = env_int("BENCH_SEED", 1)
    runs = env_int("BENCH_RUNS", 50)
    sample = min(members, env_int("BENCH_COPY_SAMPLE", 1_000_000))
    workers_list = [int(w) for w in os.environ.get("BENCH_WORKERS", "1,2").split(",") if w.strip()]
    queries_only = os.environ.get("BENCH_QUERIES_ONLY", "") not in ("", "0")

    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "partycard.settings.dev"
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)  # the test client's host; no query log

    target = HERE / "results" / f"registry-{members}.json"
    if queries_only:
        # Re-measure the queries on the database a previous full run seeded (e.g. after an index change).
        results = json.loads(target.read_text())
        results["queries_previous"] = results.pop("queries")
        results["queries_previous"]["measured"] = results.get("finished")
        results["runs"] = runs
        log("migrate (applies any new migration to the seeded database)")
        migrate()
    else:
        results = {
            "members": members,
            "seed": seed,
            "runs": runs,
            "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "machine": machine_info(url),
            "bars": BARS,
            "seeds": [],
        }
        for i, workers in enumerate(workers_list):
            log("fresh database, migrate")
            recreate_database(url)
            migrate()
            if i == 0:
                log(f"raw COPY baseline, {sample:,} rows")
                results["raw_copy"] = raw_copy_baseline(url, members, seed, sample)
            from django.db import connections

            connections.close_all()
            log(f"partycard seed --members {members} --workers {workers}")
            load_before = os.getloadavg()
            results["seeds"].append(run_seed(url, members, seed, workers))
            results["seeds"][-1]["loadavg_before"] = load_before
            results["seeds"][-1]["loadavg_after"] = os.getloadavg()
            log(f"    {results['seeds'][-1]['output']}")
    results["table_sizes"] = table_sizes()
    results["migrations"] = applied_migrations()
    log(f"queries, {runs} runs each")
    load_before = os.getloadavg()
    results["queries"] = query_benchmarks(runs)
    results["queries"]["loadavg_before"] = load_before
    results["queries"]["loadavg_after"] = os.getloadavg()
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")

    rows = [("measure", "result", "bar", ""), *build_rows(results)]
    results["table"] = rows
    print()
    print_table(rows)
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten {target.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
