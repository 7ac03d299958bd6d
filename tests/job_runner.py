"""A real ``partycard job run`` process on the test database, and its ``SIGKILL`` half-way through a job:
shared by the tests that resume a killed job (tests/jobs/test_resume.py, tests/registry/test_export_jobs.py)
and the lease tests (tests/jobs/test_lease.py). PostgreSQL only: the child process must reach the test
database through its URL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from partycard.jobs.models import Job, JobChunk

__all__ = ["PARTYCARD", "database_url", "job_runner", "kill_after_chunks"]

PARTYCARD = Path(sys.executable).with_name("partycard")


def database_url() -> str:
    """The URL of the test database the tests run on, for a child process."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{quote(s['NAME'], safe='')}"


def job_runner(job: Job, *, pause: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``partycard job run ID`` in its own process, on the test database, with the test settings, pausing
    ``pause`` seconds between chunks; ``env`` adds to its environment."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "partycard.settings.test",
        "PARTYCARD_JOB_CHUNK_PAUSE": pause,
        **(env or {}),
    }
    return subprocess.Popen(
        [str(PARTYCARD), "job", "run", str(job.pk), "--no-progress"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_after_chunks(job: Job, runner: subprocess.Popen[str], *, chunks: int = 2) -> None:
    """``SIGKILL`` ``runner`` once ``job`` has ``chunks`` chunks committed (within a minute), and reap it;
    the test fails if the runner ends by itself first."""
    deadline = time.monotonic() + 60
    try:
        while JobChunk.objects.filter(job=job).count() < chunks:
            if runner.poll() is not None:
                pytest.fail(f"the runner ended before it was killed: {runner.communicate()}")
            assert time.monotonic() < deadline, "the runner did not start within a minute"
            time.sleep(0.02)
        runner.send_signal(signal.SIGKILL)
    finally:
        if runner.poll() is None:
            runner.kill()
        runner.communicate(timeout=30)
