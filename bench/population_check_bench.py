"""The whole country's cross-check with the population database against the stand-in at its rate limit
(issue 17: 5.6 M members < 15 min at 10,000 records/s, with the job's own overhead as a ratio of the
stand-in's time).

On a seeded PostgreSQL database (``partycard seed --members 5600000``), it builds the stand-in's data from
the members (``realistic`` differences), starts the stand-in process at ``BENCH_RATE`` records per second,
and runs the check of ``BENCH_ROOT`` (default: the root of the tree, the whole country) in this process
as ``partycard population check`` does (the job's chunks, one after the other). It prints the time, the
stand-in's floor (records asked / rate) and their ratio, and the stand-in's own counts (429s: none
expected, the client paces itself). Usage:

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_seed17 BENCH_RATE=10000 \\
        /work/main/.venv/bin/python bench/population_check_bench.py

``BENCH_DATA`` reuses a data file built before (its build takes a minute or two for the country).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/partycard_seed17")
RATE = float(os.environ.get("BENCH_RATE", "10000"))
ROOT_CODE = os.environ.get("BENCH_ROOT", "")
DATA = os.environ.get("BENCH_DATA", "")
PROFILE = os.environ.get("BENCH_PROFILE", "realistic")
HERE = Path(__file__).resolve().parent.parent


def main() -> None:
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partycard.settings.dev")
    os.environ["PARTYCARD_DEBUG"] = "0"
    sys.path.insert(0, str(HERE / "src"))
    data = Path(DATA) if DATA else Path("/tmp") / "population-bench.sqlite"  # noqa: S108 - a bench's scratch
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from partycard.jobs.runner import job_run
    from partycard.population.models import CheckRun
    from partycard.population.services import check_start
    from partycard.population.standin_data import standin_data_write
    from partycard.registry.models import Organisation

    call_command("migrate", verbosity=0)
    root = (
        Organisation.objects.get(code=ROOT_CODE)
        if ROOT_CODE
        else Organisation.objects.filter(parent__isnull=True).order_by("pk").first()
    )
    assert root is not None, "seed the database first"
    if not DATA or not data.exists():
        started = time.monotonic()
        people = standin_data_write(data, profile=PROFILE, root=root)
        print(f"stand-in data: {people} people in {time.monotonic() - started:.1f} s ({data})", flush=True)
    standin = subprocess.Popen(
        [sys.executable, "-m", "partycard.nationalid.standin", "--data", str(data), "--rate", str(RATE)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HERE / "src")},
    )
    try:
        assert standin.stdout is not None
        url = standin.stdout.readline().split()[-1]
        api = settings.PARTYCARD["POPULATION_API"]
        settings.PARTYCARD["POPULATION_API"] = {**api, "url": url, "rate": RATE}
        chunk = settings.PARTYCARD["POPULATION_API"]["chunk"]
        started = time.monotonic()
        run = check_start(actor=None, root=root, enqueue=False)
        planned = time.monotonic() - started
        assert run.job is not None
        chunks = run.job.chunk_count
        print(
            f"check #{run.pk} of {root.code}: {run.members} members, {chunks} chunks of {chunk}", flush=True
        )
        print(f"planned in {planned:.1f} s", flush=True)
        last = [time.monotonic()]

        def progress(job: object) -> None:
            done = getattr(job, "chunks_done", 0)
            if done % 100 == 0:
                now = time.monotonic()
                print(
                    f"  {done} chunks, {now - started:.0f} s, last 100 in {now - last[0]:.1f} s", flush=True
                )
                last[0] = now

        job = job_run(run.job.pk, progress=progress)
        elapsed = time.monotonic() - started
        run = CheckRun.objects.get(pk=run.pk)
        with urllib.request.urlopen(f"{url}/v1/_stats", timeout=30) as answer:  # noqa: S310 - loopback
            stats = json.loads(answer.read())
        asked = run.checked - run.no_citizen_id
        floor = asked / RATE
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        counts = f"{run.agreed} agree, {run.differed} differ, {run.no_citizen_id} without citizen ID"
        print(
            f"job {job.status}: {run.checked} checked ({counts}) in {elapsed:.1f} s = {elapsed / 60:.1f} min"
        )
        print(f"asked {asked} at {RATE:.0f}/s: the stand-in's floor {floor:.1f} s")
        print(f"run time / floor = {elapsed / floor:.3f}; {asked / elapsed:.0f} records/s")
        served = f"{stats['requests']} requests, {stats['records']} records, {stats['distinct']} distinct"
        print(f"stand-in: {served}, {len(stats['repeated'])} repeated, {stats['rate_limited']} × 429")
        print(f"max RSS {rss:.0f} MB", flush=True)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (backend,) = cursor.fetchone()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(
            f"CPU seconds: this process {usage.ru_utime + usage.ru_stime:.0f}, "
            f"the stand-in {_cpu(standin.pid):.0f}, its PostgreSQL backend {_cpu(backend):.0f} (same machine)"
        )
    finally:
        standin.kill()
        standin.communicate()


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process on this machine (/proc; 0 if it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
