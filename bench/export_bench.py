"""Roster export benchmark (issue 15): a province's roster, as the web page's background job writes it,
against a raw write of the same rows with openpyxl (the library the export used) in the same run.

Run on a copy of the seeded 5.6 M database (the bench adds one officer account and the jobs it runs; it
drops nothing)::

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_export15 \
    PYTHONPATH=src .venv/bin/python bench/export_bench.py

Environment:
    BENCH_DATABASE_URL  the seeded database (default as above)
    BENCH_ORG           the organisation exported (default P01, Hà Nội: 524,138 members in the seed)
    BENCH_CASES         comma-separated case names to run (default: all of CASES)

Each case runs in a fresh process (``--child CASE``) and reports its wall time and its peak RSS (``VmHWM``,
the whole process: Django and the interpreter included):

* ``fetch``: the rows of the export's query read and dropped (the database's share of any export);
* ``raw_openpyxl``: the same rows, their choices as labels, appended as plain values to an openpyxl
  write-only sheet and saved: the library's own floor (no styles, no formula neutralisation);
* ``job``: the web path: ``start_export`` (the plan) and every chunk of the job (``job_run`` in this
  process, as the worker runs it), the parts merged into the workbook and recorded as the job's file;
* ``inline``: ``export_roster`` in one pass (``partycard export`` and the page's small exports);
* ``commune_inline`` and ``commune_old``: the largest commune of the province, by the page's in-request
  export and by the exporter before issue 15 (openpyxl ``WriteOnlyCell`` per value; taken from git), which
  is what sets ``EXPORT_INLINE_MEMBERS``.

Every file written is checked: its row count, and no ``<f>`` (formula) in any sheet. Prints a table and
writes ``bench/results/export.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # `bench.common` when run as a script
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/partycard_export15"
BAR_SECONDS = 60.0  # issue 15: a province's export in under a minute
MIB = 1024 * 1024
CASES = ["fetch", "raw_openpyxl", "job", "inline", "commune_inline", "commune_old"]
OLD_COMMIT = "80558ef"  # the exporter as it was before issue 15


def _peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partycard.settings.test")
    import django

    django.setup()


def _officer(org: Any) -> Any:
    from partycard.accounts.models import User
    from partycard.accounts.roles import Role

    user, _ = User.objects.get_or_create(
        username=f"bench-export-{org.code.lower()}",
        defaults={"role": Role.COMMITTEE_OFFICER, "organisation": org},
    )
    return user


def _largest_commune(org: Any) -> Any:
    from django.db.models import Sum

    from partycard.registry.choices import OrgLevel
    from partycard.registry.models import Organisation

    best, best_n = None, -1
    for commune in Organisation.objects.filter(path__startswith=org.path, level=OrgLevel.COMMUNE):
        n = Organisation.objects.filter(path__startswith=commune.path).aggregate(n=Sum("member_count"))["n"]
        if (n or 0) > best_n:
            best, best_n = commune, n or 0
    return best


def _labelled_rows(org: Any) -> Any:
    """The export's rows as plain values (choice labels, ethnicity names), streamed."""
    from django.utils import translation

    from partycard.registry import exporting
    from partycard.registry.models import Ethnicity
    from partycard.registry.roster import COLUMNS

    ethnicities = dict(Ethnicity.objects.values_list("code", "name"))
    with translation.override("vi"):
        labels = {
            i: {str(m.value): str(m.label) for m in exporting._CHOICES[c.field]}
            for i, c in enumerate(COLUMNS)
            if c.field in exporting._CHOICES
        }
    eth = next(i for i, c in enumerate(COLUMNS) if c.field == "ethnicity")
    members = exporting.export_members(None, org).order_by("organisation__path", "name_search", "id")
    for row in members.values_list(*exporting._FIELDS).iterator(chunk_size=5000):
        values = list(row[3:])
        for i, table in labels.items():
            values[i] = table.get(values[i], values[i])
        values[eth] = ethnicities.get(values[eth])
        yield values


def _old_exporter() -> Any:
    """``export_roster`` as it was at ``OLD_COMMIT``, loaded from git into a module of its own."""
    import importlib.util

    source = subprocess.run(
        ["git", "show", f"{OLD_COMMIT}:src/partycard/registry/exporting.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_exporting.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_exporting", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.export_roster


def child(case: str, code: str, out: Path) -> dict[str, Any]:
    _setup()
    from partycard.jobs.models import Job, JobChunk
    from partycard.jobs.runner import job_run
    from partycard.jobs.storage import job_files_dir
    from partycard.registry.exporting import export_members, export_roster
    from partycard.registry.jobs import start_export
    from partycard.registry.models import Organisation

    org = Organisation.objects.get(code=code)
    result: dict[str, Any] = {"case": case, "organisation": code}
    target = _largest_commune(org) if case.startswith("commune") else org  # not timed
    before = _peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    if case == "fetch":
        from partycard.registry import exporting

        members = export_members(None, org).order_by("organisation__path", "name_search", "id")
        rows = sum(1 for _ in members.values_list(*exporting._FIELDS).iterator(chunk_size=5000))
    elif case == "raw_openpyxl":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Danh sách đảng viên")
        rows = 0
        for values in _labelled_rows(org):
            sheet.append(values)
            rows += 1  # noqa: SIM113 - a generator: counted as it goes
        book.save(out)
    elif case == "job":
        actor = _officer(org)
        job = start_export(actor=actor, root=org, enqueue=False)
        result["plan_s"] = round(time.perf_counter() - started, 2)
        rss: list[float] = []
        job = job_run(job.pk, progress=lambda _job: rss.append(round(_rss() / MIB, 1)))
        result["rss_after_each_chunk_mib"] = rss
        assert job.status == Job.Status.DONE, (job.status, job.error)
        rows = job.result_file.rows
        stored = job_files_dir() / job.result_file.stored
        stored.replace(out)
        done = list(JobChunk.objects.filter(job=job).order_by("index").values_list("done_at", flat=True))
        result["chunks"] = job.chunk_count
        result["seal_s"] = round((done[-1] - done[-2]).total_seconds(), 2) if len(done) > 1 else None
        result["file_mib"] = round(out.stat().st_size / MIB, 1)
    elif case in ("inline", "commune_inline", "commune_old"):
        result["exported"] = target.code
        if case == "commune_old":
            rows = _old_exporter()(target, out)
        else:
            rows = export_roster(target, out, actor=_officer(org))
    else:
        raise SystemExit(f"unknown case {case}")
    seconds = time.perf_counter() - started
    result["cpu_s"] = round(time.process_time() - cpu, 2)  # this process's CPU (not the database's)
    result.update(
        rows=rows,
        seconds=round(seconds, 2),
        rows_per_s=round(rows / seconds) if seconds else None,
        peak_rss_mib=round(_peak_rss() / MIB, 1),
        rss_before_mib=round(before / MIB, 1),
    )
    return result


def _check(path: Path) -> dict[str, Any]:
    """Rows (headers excluded) and formulas (``<f>`` elements) in every sheet of the workbook, streamed.

    Each block is searched with the last 4 bytes of the one before: a ``<row `` (5 bytes) split between two
    blocks is counted once, never twice.
    """
    rows = formulas = 0
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.startswith("xl/worksheets/sheet"):
                continue
            tail = b""
            with archive.open(name) as sheet:
                while block := sheet.read(1 << 22):
                    text = tail + block
                    rows += text.count(b"<row ") + text.count(b"<row>")
                    formulas += text.count(b"<f>") + text.count(b"<f ")
                    tail = text[-4:]
            rows -= 1  # the header row
    return {"file_rows": rows, "formulas": formulas}


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    code = os.environ.get("BENCH_ORG", "P01")
    cases = [c for c in os.environ.get("BENCH_CASES", ",".join(CASES)).split(",") if c]
    from bench.common import log, machine_info

    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "partycard.settings.test"}
    results = []
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        env["PARTYCARD_JOB_FILES_DIR"] = str(Path(tmp) / "job-files")
        for case in cases:
            out = Path(tmp) / f"{case}.xlsx"
            log(f"{case} …")
            proc = subprocess.run(
                [sys.executable, __file__, "--child", case, code, str(out)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise SystemExit(f"{case} failed:\n{proc.stderr[-4000:]}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            if out.exists():
                result.update(_check(out))
                out.unlink()
            log(json.dumps(result, ensure_ascii=False))
            results.append(result)
    by = {r["case"]: r for r in results}
    summary: dict[str, Any] = {}
    if "job" in by:
        job = by["job"]
        summary["job_seconds"] = job["seconds"]
        summary["bar_seconds"] = BAR_SECONDS
        summary["pass"] = job["seconds"] < BAR_SECONDS and job.get("formulas") == 0
        if "raw_openpyxl" in by:
            summary["job_over_raw_openpyxl"] = round(job["seconds"] / by["raw_openpyxl"]["seconds"], 3)
        if "fetch" in by:
            summary["job_over_fetch"] = round(job["seconds"] / by["fetch"]["seconds"], 2)
    if "commune_inline" in by and "commune_old" in by:
        summary["commune_new_over_old"] = round(
            by["commune_inline"]["seconds"] / by["commune_old"]["seconds"], 3
        )
    report = {
        "bench": "export",
        "organisation": code,
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(url, ["shared_buffers", "work_mem", "max_parallel_workers_per_gather"]),
        # The machine is shared: its load when the run ended says how much of the wall time was waiting.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "cases": results,
        "summary": summary,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "export.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print()
    print(f"{'case':<16}{'rows':>10}{'seconds':>10}{'rows/s':>10}{'peak RSS MiB':>14}")
    for r in results:
        speed = r["rows_per_s"] or 0
        print(f"{r['case']:<16}{r['rows']:>10,}{r['seconds']:>10}{speed:>10,}{r['peak_rss_mib']:>14}")
    print(json.dumps(summary))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT / "src"))
        print(json.dumps(child(sys.argv[2], sys.argv[3], Path(sys.argv[4]))))
    else:
        main()
