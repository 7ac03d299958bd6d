"""Party-database sync round trip (issue 17): a province's export, the same file edited, its preview and its
apply, against raw limits measured in the same run. The issue: "A 500,000-member province round trip
< 5 min; memory flat".

Run on a seeded database (``partycard seed --members 5600000``: Hà Nội, P01, holds ~531,000 members); the
bench adds one officer account, a few sync runs and changes a few % of the province's members (run it on a
copy if the registry must stay as seeded)::

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_sync17 \
    PYTHONPATH=src .venv/bin/python bench/sync_roundtrip_bench.py

Environment:
    BENCH_DATABASE_URL  the seeded database
    BENCH_ORG           the organisation synchronised (default P01)
    BENCH_FORMAT        csv (default) or jsonl
    BENCH_EDIT_PERMILLE rows edited per thousand (default 30: 3 %), BENCH_ADD_PERMILLE new rows (default 5),
                        BENCH_DROP_PERMILLE rows left out (default 1)

Each step runs in a fresh process (``--child STEP``) reporting its wall time and peak RSS (``VmHWM``, the
whole process) and, every second, its RSS (sampled by a thread): ``raw_copy`` (PostgreSQL ``COPY`` of the
same rows to a file: the floor of any export), ``export`` (``partycard sync export`` as the officer),
``edit`` (not timed as the product: the file rewritten with the edits), ``raw_read`` (the edited file read
with ``csv.reader``/``json.loads`` and dropped: the floor of any import), ``preview`` (the preview job, every
chunk, in this process as the worker runs it) and ``apply`` (the apply job). Prints a table and writes
``bench/results/sync_roundtrip.json``.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
BAR_SECONDS = 300.0
MIB = 1024 * 1024
STEPS = ["raw_copy", "export", "edit", "raw_read", "preview", "apply"]


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0


class Sampler:
    """The process's RSS every ``interval`` seconds, in a thread (the curve behind the peak)."""

    def __init__(self, interval: float = 1.0) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.interval = interval

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.samples.append(round(_status("VmRSS:") / MIB, 1))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partycard.settings.test")
    import django

    django.setup()


def _officer(org: Any) -> Any:
    from partycard.accounts.models import User
    from partycard.accounts.roles import Role

    user, _ = User.objects.get_or_create(
        username=f"bench-sync-{org.code.lower()}",
        defaults={"role": Role.COMMITTEE_OFFICER, "organisation": org},
    )
    return user


def _edit(src: Path, dst: Path, fmt: str, org: Any) -> dict[str, Any]:
    """Rewrite ``src`` into ``dst``: a few ‰ of rows edited (occupation, phone; some names), some left out,
    some new (copies of existing rows with fresh keys that no member holds)."""
    from partycard.registry.models import Member

    rng = random.Random(17)  # test data
    stamp = time.strftime("%H%M%S")
    edit = int(os.environ.get("BENCH_EDIT_PERMILLE", "30"))
    add = int(os.environ.get("BENCH_ADD_PERMILLE", "5"))
    drop = int(os.environ.get("BENCH_DROP_PERMILLE", "1"))
    counts = {"edited": 0, "added": 0, "dropped": 0}
    fresh: list[dict[str, Any]] = []
    if fmt == "csv":
        reader_file = src.open(encoding="utf-8-sig", newline="")
        rows: Any = csv.DictReader(reader_file)
        out = dst.open("w", encoding="utf-8-sig", newline="")
        writer = csv.DictWriter(out, fieldnames=rows.fieldnames)
        writer.writeheader()
        name, job, phone, fileno, cid = "Họ và tên", "Nghề nghiệp", "Điện thoại", "Số lý lịch", "Số CCCD"
        card = "Số thẻ đảng viên cũ"
        put = writer.writerow
    else:
        reader_file = src.open(encoding="utf-8")
        rows = (json.loads(line) for line in reader_file)
        out = dst.open("w", encoding="utf-8")
        name, job, phone, fileno, cid = "full_name", "occupation", "phone", "file_number", "citizen_id"
        card = "old_card_number"

        def put(item: dict[str, Any]) -> None:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")

    for row in rows:
        roll = rng.randrange(1000)
        if roll < drop:
            counts["dropped"] += 1
            continue
        if roll < drop + edit:
            row[job] = f"Kỹ sư đồng bộ {stamp}"  # new at every run of the bench: a real change
            if roll % 3 == 0:
                row[phone] = f"09{rng.randrange(10**8):08d}"
            if roll % 7 == 0:
                row[name] = (row[name] or "") + " Anh"
            counts["edited"] += 1
        if roll >= 1000 - add and row[cid] and len(fresh) < 100_000:
            fresh.append(dict(row))
        put(row)
    reader_file.close()
    # Fresh keys: a citizen ID and a file number no member holds (the file numbers' letters are this run's).
    tick = int(time.time())
    letters = "S" + chr(65 + tick % 26) + chr(65 + tick // 26 % 26)
    wanted = {
        i: (row[cid][:6] + f"{rng.randrange(10**6):06d}", f"{i:06d}{letters}") for i, row in enumerate(fresh)
    }
    cids, fns = [w[0] for w in wanted.values()], [w[1] for w in wanted.values()]
    taken = set(Member.objects.filter(citizen_id__in=cids).values_list("citizen_id", flat=True))
    taken |= set(Member.objects.filter(file_number__in=fns).values_list("file_number", flat=True))
    taken |= {c for c in cids if cids.count(c) > 1} if len(set(cids)) != len(cids) else set()
    for i, row in enumerate(fresh):
        new_cid, new_fn = wanted[i]
        if new_cid in taken or new_fn in taken:
            continue
        row[cid] = new_cid
        row[fileno] = new_fn
        row[name] = "Thành Viên Mới"
        row[card] = "" if fmt == "csv" else None  # the old card number is the copied member's
        put(row)
        counts["added"] += 1
    out.close()
    return counts


def child(step: str, code: str, tmp: Path, fmt: str) -> dict[str, Any]:
    _setup()
    from django.db import connection

    from partycard.jobs.runner import job_run
    from partycard.partysync import jobs, services
    from partycard.partysync.fields import QUERY_FIELDS
    from partycard.registry.models import Member, Organisation

    org = Organisation.objects.get(code=code)
    officer = _officer(org)
    exported, edited = tmp / f"export.{fmt}", tmp / f"edited.{fmt}"
    result: dict[str, Any] = {"step": step}
    started, cpu = time.perf_counter(), time.process_time()
    with Sampler() as sampler:
        if step == "raw_copy":
            members = Member.objects.filter(organisation__path__startswith=org.path).order_by("pk")
            sql, params = members.values_list(*QUERY_FIELDS).query.sql_with_params()
            raw = connection.cursor().connection  # the psycopg connection
            with raw.cursor() as cursor, (tmp / "copy.csv").open("wb") as f:
                query = cursor.mogrify(sql, params)
                with cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
                    for block in copy:
                        f.write(block)
            result["rows"] = sum(1 for _ in (tmp / "copy.csv").open("rb"))
        elif step == "export":
            run = services.sync_export(actor=officer, root=org, path=exported, fmt=fmt)
            result["rows"] = run.rows
            result["file_mib"] = round(exported.stat().st_size / MIB, 1)
        elif step == "edit":
            result.update(_edit(exported, edited, fmt, org))
        elif step == "raw_read":
            n = 0
            if fmt == "csv":
                with edited.open(encoding="utf-8-sig", newline="") as f:
                    for _row in csv.reader(f):
                        n += 1
            else:
                with edited.open("rb") as f:
                    for line in f:
                        json.loads(line)
                        n += 1
            result["rows"] = n
        elif step == "preview":
            run, job = jobs.start_preview(
                actor=officer, root=org, path=edited, name=edited.name, remove_file=False, enqueue=False
            )
            job = job_run(job.pk)
            run.refresh_from_db()
            assert run.status == "preview", (run.status, run.error, job.error)
            result.update(
                run=run.pk,
                chunks=job.chunk_count,
                rows=run.rows,
                added=run.added,
                changed=run.changed,
                unchanged=run.unchanged,
                conflicts=run.conflicts,
                bad=run.bad,
                missing=run.missing,
            )
            (tmp / "run").write_text(str(run.pk))
        elif step == "apply":
            from partycard.partysync.models import SyncRun

            run = SyncRun.objects.get(pk=int((tmp / "run").read_text()))
            job = jobs.start_apply(actor=officer, run=run, enqueue=False)
            job_run(job.pk)
            run.refresh_from_db()
            assert run.status == "applied", (run.status, run.error)
            result.update(rows=run.rows, written=run.written)
        else:
            raise SystemExit(f"unknown step {step}")
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["cpu_s"] = round(time.process_time() - cpu, 2)  # this process's CPU, not the database's
    result["peak_rss_mib"] = round(_status("VmHWM:") / MIB, 1)
    result["rss_samples_mib"] = sampler.samples[:: max(1, len(sampler.samples) // 30)]
    return result


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/partycard_sync17")
    code = os.environ.get("BENCH_ORG", "P01")
    fmt = os.environ.get("BENCH_FORMAT", "csv")
    steps = [s for s in os.environ.get("BENCH_STEPS", ",".join(STEPS)).split(",") if s]
    from bench.common import log, machine_info

    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "partycard.settings.test"}
    results = []
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
        for step in steps:
            log(f"{step} …")
            proc = subprocess.run(
                [sys.executable, __file__, "--child", step, code, tmp, fmt],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise SystemExit(f"{step} failed:\n{proc.stderr[-4000:]}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            log(json.dumps({k: v for k, v in result.items() if k != "rss_samples_mib"}, ensure_ascii=False))
            results.append(result)
    by = {r["step"]: r for r in results}
    summary: dict[str, Any] = {}
    if {"export", "preview", "apply"} <= set(by):
        total = by["export"]["seconds"] + by["preview"]["seconds"] + by["apply"]["seconds"]
        summary = {
            "round_trip_seconds": round(total, 1),
            "bar_seconds": BAR_SECONDS,
            "pass": total < BAR_SECONDS,
            "peak_rss_mib": max(by[s]["peak_rss_mib"] for s in ("export", "preview", "apply")),
        }
        if "raw_copy" in by:
            summary["export_over_raw_copy"] = round(by["export"]["seconds"] / by["raw_copy"]["seconds"], 1)
        if "raw_read" in by:
            summary["preview_over_raw_read"] = round(by["preview"]["seconds"] / by["raw_read"]["seconds"], 1)
    report = {
        "bench": "sync_roundtrip",
        "organisation": code,
        "format": fmt,
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(url, ["shared_buffers", "work_mem", "max_parallel_workers_per_gather"]),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "steps": results,
        "summary": summary,
    }
    (HERE / "results").mkdir(exist_ok=True)
    out = HERE / "results" / "sync_roundtrip.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print()
    print(f"{'step':<10}{'rows':>10}{'seconds':>10}{'peak RSS MiB':>14}")
    for r in results:
        print(f"{r['step']:<10}{r.get('rows', 0):>10,}{r['seconds']:>10}{r['peak_rss_mib']:>14}")
    print(json.dumps(summary))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3], Path(sys.argv[4]), sys.argv[5]), ensure_ascii=False))
    else:
        main()
