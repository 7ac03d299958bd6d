"""The job lease: a running job is leased to its runner and renewed per chunk; a job whose lease ran out
(its worker killed) is queued again by the sweep and resumed exactly once; a runner that was taken over
commits nothing more. And the bound on jobs queued or running per user.

The end-to-end proof is ``test_a_killed_worker_s_job_is_finished_once_by_another_worker``: two real
``partycard db_worker`` processes on PostgreSQL, the first killed with SIGKILL half-way through a job.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tasks_db.models import DBTaskResult

from partycard.audit.models import AuditEvent
from partycard.core import clock
from partycard.exchange.models import Campaign
from partycard.jobs import kinds
from partycard.jobs.errors import TooManyJobs
from partycard.jobs.models import Job, JobChunk
from partycard.jobs.services import ChunkResult, job_create, job_run, jobs_reclaim
from partycard.jobs.sweeper import sweep_once
from tests import job_runner
from tests.job_runner import PARTYCARD
from tests.jobs.test_job_runner import KIND, Chunks, _chunk_rows
from tests.jobs.test_resume import _assert_each_case_moved_exactly_once, _confirm_job, _proposed_cases

LEASE = dt.timedelta(seconds=120)  # the default JOB_LEASE_SECONDS
ROOT = Path(__file__).resolve().parents[2]  # the checkout: ``tests`` is importable from there


@pytest.fixture
def kind(monkeypatch: pytest.MonkeyPatch) -> Iterator[Chunks]:
    k = Chunks()
    monkeypatch.setitem(kinds._KINDS, KIND, k)
    yield k


def _job(chunks: int = 4, actor: Any = None) -> Job:
    return job_create(actor=actor, kind=KIND, params={"chunks": chunks})


def _held_by_a_dead_runner(job: Job, *, expired: bool) -> Job:
    """What a worker killed after two chunks leaves: running, its lease (expired or not) in the row."""
    job_run(job.pk, stop_after=2)
    expires = clock.now() + (dt.timedelta(seconds=-1) if expired else LEASE)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, lease_owner="dead-host:4242:0000", lease_expires_at=expires
    )
    return Job.objects.get(pk=job.pk)


@pytest.mark.django_db
def test_the_lease_is_held_while_running_renewed_per_chunk_and_given_up_at_the_end(kind: Chunks) -> None:
    job = _job(3)
    seen: list[tuple[str, str, dt.datetime | None]] = []
    before = clock.now()
    done = job_run(job.pk, progress=lambda j: seen.append((j.status, j.lease_owner, j.lease_expires_at)))
    owners = {owner for _, owner, _ in seen}
    assert len(owners) == 1 and all(owners) and all(status == Job.Status.RUNNING for status, _, _ in seen)
    expiries = [expires for _, _, expires in seen]
    assert all(e is not None and e >= before + LEASE for e in expiries)
    assert expiries == sorted(expiries)  # renewed with each chunk
    assert (done.status, done.lease_owner, done.lease_expires_at) == (Job.Status.DONE, "", None)


@pytest.mark.django_db
def test_a_live_lease_is_left_to_its_runner_and_an_expired_one_is_swept_and_resumed(
    kind: Chunks, django_capture_on_commit_callbacks: Any
) -> None:
    live = _held_by_a_dead_runner(_job(4), expired=False)
    kind.calls.clear()
    # The worker's task leaves a job whose runner still holds the lease: nothing runs.
    assert job_run(live.pk).lease_owner == "dead-host:4242:0000" and kind.calls == []
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_reclaim(at=clock.now()) == []
    assert DBTaskResult.objects.count() == 0

    # Once the lease has run out, the sweep queues it again (once, however many sweeps) and says so.
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_reclaim(at=live.lease_expires_at + dt.timedelta(seconds=1)) == [live.pk]
        assert jobs_reclaim(at=live.lease_expires_at + dt.timedelta(seconds=2)) == []
    job = Job.objects.get(pk=live.pk)
    assert (job.status, job.lease_owner, job.lease_expires_at, job.chunks_done) == (
        Job.Status.QUEUED,
        "",
        None,
        2,
    )
    task = DBTaskResult.objects.get()
    assert task.task_path == "partycard.jobs.tasks.run_job" and task.args_kwargs["args"] == [job.pk]
    event = AuditEvent.objects.get(action="job.reclaim", object_id=str(job.pk))
    assert event.actor == "system"
    assert event.changes["runner"] == "dead-host:4242:0000" and event.changes["chunks_done"] == 2

    done = job_run(job.pk)  # what the worker does with the task
    assert kind.calls == [2, 3]  # from the last committed chunk
    assert (done.status, done.chunks_done, done.succeeded) == (Job.Status.DONE, 4, 12)
    assert _chunk_rows(job) == dict.fromkeys(range(4), 1)


@pytest.mark.django_db
def test_the_worker_s_sweep_on_start_takes_an_expired_job(
    kind: Chunks, django_capture_on_commit_callbacks: Any
) -> None:
    job = _held_by_a_dead_runner(_job(3), expired=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_once() == [job.pk]
    assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED
    assert DBTaskResult.objects.filter(args_kwargs__args=[job.pk]).count() == 1


@pytest.mark.django_db
def test_a_runner_taken_over_commits_no_further_chunk(kind: Chunks) -> None:
    """The operator's ``job run`` took the job over from a runner presumed dead that was only slow: the slow
    runner's chunk in flight rolls back (its renewal finds another owner) and it stops."""
    job = _job(4)

    def taken_over_after_the_first_chunk(current: Job) -> None:
        if current.chunks_done == 1:
            Job.objects.filter(pk=job.pk).update(lease_owner="operator:1:beef")

    stopped = job_run(job.pk, progress=taken_over_after_the_first_chunk)
    assert kind.calls == [0, 1]  # chunk 1's work was done …
    assert _chunk_rows(job) == {0: 1}  # … and rolled back: no row, no audit entry
    assert (stopped.status, stopped.chunks_done, stopped.lease_owner) == (
        Job.Status.RUNNING,
        1,
        "operator:1:beef",
    )
    done = job_run(job.pk, take_over=True)  # the operator's runner
    assert (done.status, done.chunks_done) == (Job.Status.DONE, 4)
    assert _chunk_rows(job) == dict.fromkeys(range(4), 1)


# -- the bound per user ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_user_may_have_three_jobs_queued_or_running(kind: Chunks, officers: Any, settings: Any) -> None:
    assert settings.PARTYCARD["JOBS_PER_USER"] == 3
    user = officers.grassroots
    first = _job(actor=user)
    running = _job(actor=user)
    job_run(running.pk, stop_after=1)
    _job(actor=user)
    with pytest.raises(TooManyJobs) as refused:
        _job(actor=user)
    assert refused.value.http_status == 429 and refused.value.limit == 3
    assert "3 tác vụ nền" in refused.value.message
    assert Job.objects.filter(actor=user).count() == 3  # nothing half-made
    _job(actor=officers.upper)  # another user has their own three
    _job(actor=None)  # the operator's jobs are not bounded
    job_run(first.pk)  # one finishes: room for one more
    _job(actor=user)
    failed = Job.objects.filter(actor=user, status=Job.Status.QUEUED).first()
    assert failed is not None
    Job.objects.filter(pk=failed.pk).update(status=Job.Status.FAILED)  # a failed job does not count
    _job(actor=user)
    with pytest.raises(TooManyJobs):
        _job(actor=user)


# -- a real worker killed -----------------------------------------------------------------------------------


def _worker(name: str, *, pause: str, database_url: str | None = None) -> subprocess.Popen[str]:
    """``partycard db_worker`` on the test database: a 2-second lease, swept every half second."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url or job_runner.database_url(),
        "DJANGO_SETTINGS_MODULE": "partycard.settings.test",
        "PARTYCARD_JOB_CHUNK_PAUSE": pause,
        "PARTYCARD_JOB_LEASE_SECONDS": "2",
        "PARTYCARD_JOB_SWEEP_SECONDS": "0.5",
    }
    return subprocess.Popen(
        [
            str(PARTYCARD),
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.1",
            "--worker-id",
            name,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(worker: subprocess.Popen[str]) -> str:
    if worker.poll() is None:
        worker.kill()
    out, _ = worker.communicate(timeout=30)
    return out


def _stop_both(first: subprocess.Popen[str], second: subprocess.Popen[str] | None) -> None:
    """The killed worker reaped; the second asked to stop (SIGTERM), killed if it does not within 10 s."""
    _stop(first)
    if second is not None:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=10)
        finally:
            _stop(second)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_s_job_is_finished_once_by_another_worker(
    officers: Any, campaign: Campaign, make_member: Any
) -> None:
    """SIGKILL of the worker running a job: its lease runs out, the second worker's sweep queues the job
    again, and the second worker resumes it from the last committed chunk: each case moves once."""
    case_ids = _proposed_cases(officers, campaign, make_member)
    job = _confirm_job(officers, case_ids, chunk=5)
    first = _worker("first", pause="0.3")  # 0.3 s between chunks: time to kill it half-way
    second: subprocess.Popen[str] | None = None
    try:
        from partycard.jobs.tasks import run_job

        run_job.enqueue(job.pk)  # what the page or the API does once the job is made
        deadline = time.monotonic() + 60
        while JobChunk.objects.filter(job=job).count() < 2:
            if first.poll() is not None:
                pytest.fail(f"the worker ended before it was killed: {_stop(first)}")
            assert time.monotonic() < deadline, "the worker did not start the job within a minute"
            time.sleep(0.02)
        held = Job.objects.get(pk=job.pk)
        first.send_signal(signal.SIGKILL)
        _stop(first)
        assert first.returncode == -signal.SIGKILL
        assert held.status == Job.Status.RUNNING and held.lease_owner.split(":")[1] == str(first.pid)

        partial = Job.objects.get(pk=job.pk)
        assert partial.status == Job.Status.RUNNING and 2 <= partial.chunks_done < partial.chunk_count
        assert JobChunk.objects.filter(job=job).count() == partial.chunks_done  # the open chunk rolled back

        second = _worker("second", pause="0")
        deadline = time.monotonic() + 90
        while Job.objects.get(pk=job.pk).status != Job.Status.DONE:
            if second.poll() is not None:
                pytest.fail(f"the second worker ended: {_stop(second)}")
            assert time.monotonic() < deadline, "the second worker did not finish the job"
            time.sleep(0.1)
    finally:
        _stop_both(first, second)

    _assert_each_case_moved_exactly_once(job, case_ids)
    reclaimed = AuditEvent.objects.filter(action="job.reclaim", object_id=str(job.pk))
    assert reclaimed.count() == 1
    assert reclaimed.get().changes["runner"].split(":")[1] == str(first.pid)
    done = Job.objects.get(pk=job.pk)
    assert (done.lease_owner, done.lease_expires_at) == ("", None)


def _sqlite(db: Path, sql: str, *params: Any) -> Any:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(sql, params).fetchone()[0]


def test_a_killed_worker_s_job_is_finished_once_by_another_worker_on_sqlite(tmp_path: Path) -> None:
    """The same on a file-backed SQLite database, as ``make run`` uses: the sweep's thread and the worker
    share one file, whose writes SQLite serialises (a sweep that finds it locked waits for the next)."""
    db = tmp_path / "partycard.sqlite3"
    url = f"sqlite:///{db}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "partycard.settings.test"}
    script = [sys.executable, "-m", "tests.jobs.sqlite_worker_db"]
    made = subprocess.run([*script, "setup"], env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    assert made.returncode == 0, made.stderr
    job = json.loads(made.stdout.splitlines()[-1])["job"]
    first = _worker("first", pause="0.3", database_url=url)
    second: subprocess.Popen[str] | None = None
    try:
        deadline = time.monotonic() + 60
        while _sqlite(db, "SELECT count(*) FROM jobs_jobchunk WHERE job_id = ?", job) < 2:
            if first.poll() is not None:
                pytest.fail(f"the worker ended before it was killed: {_stop(first)}")
            assert time.monotonic() < deadline, "the worker did not start the job within a minute"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        _stop(first)
        assert _sqlite(db, "SELECT status FROM jobs_job WHERE id = ?", job) == "running"
        done_before = _sqlite(db, "SELECT chunks_done FROM jobs_job WHERE id = ?", job)
        assert 2 <= done_before < 12

        second = _worker("second", pause="0", database_url=url)
        deadline = time.monotonic() + 90
        while _sqlite(db, "SELECT status FROM jobs_job WHERE id = ?", job) != "done":
            if second.poll() is not None:
                pytest.fail(f"the second worker ended: {_stop(second)}")
            assert time.monotonic() < deadline, "the second worker did not finish the job"
            time.sleep(0.1)
    finally:
        _stop_both(first, second)
    checked = subprocess.run(
        [*script, "check", made.stdout.splitlines()[-1]],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert checked.returncode == 0 and checked.stdout.strip() == "ok", checked.stderr[-3000:]
    reclaimed = _sqlite(
        db, "SELECT count(*) FROM audit_auditevent WHERE action = 'job.reclaim' AND object_id = ?", str(job)
    )
    assert reclaimed == 1


@dataclass
class SlowChunk:
    """A kind whose one chunk outlasts the lease, as a roster import's (two passes over 50,000 rows) does."""

    seconds: float
    calls: int = 0

    def chunk_count(self, job: Job) -> int:
        return 1

    def total(self, job: Job) -> int:
        return 1

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        self.calls += 1
        time.sleep(self.seconds)
        return ChunkResult(succeeded=1)


@pytest.mark.django_db(transaction=True)
def test_a_chunk_longer_than_the_lease_keeps_it_and_is_not_reclaimed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Renewed only at a chunk's end, a lease ran out in the middle of any chunk longer than it: the sweep
    re-queued the job and the runner's chunk rolled back, over and over. The heartbeat keeps it alive."""
    import threading

    monkeypatch.setitem(settings.PARTYCARD, "JOB_LEASE_SECONDS", 0.6)
    slow = SlowChunk(seconds=2.0)  # more than three leases
    monkeypatch.setitem(kinds._KINDS, "test.slow", slow)
    job = job_create(actor=None, kind="test.slow", params={})
    reclaimed: list[int] = []
    runner = threading.Thread(target=job_run, args=(job.pk,))
    runner.start()
    deadline = time.monotonic() + 1.9
    while time.monotonic() < deadline:  # the sweep, as every worker runs it, while the chunk is running
        reclaimed += jobs_reclaim(at=clock.now())
        time.sleep(0.1)
    runner.join()
    done = Job.objects.get(pk=job.pk)
    assert reclaimed == [] and slow.calls == 1
    assert (done.status, done.chunks_done, done.succeeded) == (Job.Status.DONE, 1, 1)
