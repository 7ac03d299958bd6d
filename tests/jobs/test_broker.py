"""The job framework's guarantees on both task backends, with the real worker commands as processes.

On the database queue (``partycard db_worker``) and on RQ over Redis (``partycard rq_worker``): several
workers at once run each chunk once; a worker killed with SIGKILL mid-job loses nothing and duplicates
nothing, another resumes from the last committed chunk once the lease runs out, without a hand. On RQ,
Redis restarted without its data in the middle of a job, and down when a job is made: the workers
reconnect by themselves, the officer is told the queue is not answering (not a server error), and every
job still runs exactly once (the sweep sends again what Redis lost). PostgreSQL: the worker processes share
the test database.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify
from partycard.exchange.models import Campaign, Case, CaseEvent
from partycard.exchange.workflow import State, Transition
from partycard.jobs.models import Job, JobChunk
from partycard.jobs.tasks import job_enqueue
from tests.jobs.broker import Backend, PrivateRedis, backend_fixture, require_redis
from tests.jobs.test_resume import _confirm_job, _proposed_cases


@pytest.fixture(params=["db", "rq"])
def tasks_backend(request: pytest.FixtureRequest, tmp_path: Path, settings: Any) -> Iterator[Backend]:
    yield from backend_fixture(request, tmp_path, settings)


def _wait_done(jobs: list[Job], backend: Backend, names: list[str], *, timeout: float = 180) -> None:
    """Until every job is done; fails at once if a worker ends, or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while Job.objects.filter(pk__in=[j.pk for j in jobs]).exclude(status=Job.Status.DONE).exists():
        for worker, name in zip(backend.workers[-len(names) :], names, strict=True):
            if worker.poll() is not None:
                pytest.fail(f"worker {name} ended ({worker.returncode}): {backend.log(name)}")
        if time.monotonic() > deadline:
            states = list(
                Job.objects.filter(pk__in=[j.pk for j in jobs]).values_list("pk", "status", "chunks_done")
            )
            logs = "\n".join(backend.log(n) for n in names)
            pytest.fail(f"jobs not done within {timeout} s: {states}\n{logs}")
        time.sleep(0.2)


def _assert_each_case_moved_once(jobs: list[Job], cases_of: dict[int, list[int]]) -> None:
    """Every job done with each chunk once; each case confirmed by its own job with one event and one
    audit row; the audit chain intact."""
    for job in jobs:
        job.refresh_from_db()
        assert (job.status, job.chunks_done, job.succeeded, job.failed) == (
            Job.Status.DONE,
            job.chunk_count,
            len(cases_of[job.pk]),
            0,
        )
        indices = sorted(JobChunk.objects.filter(job=job).values_list("index", flat=True))
        assert indices == list(range(job.chunk_count))  # each chunk once: the row is unique per index
    every_case = sorted(c for cases in cases_of.values() for c in cases)
    assert Case.objects.filter(pk__in=every_case, state=State.CONFIRMED).count() == len(every_case)
    events = sorted(CaseEvent.objects.filter(transition=Transition.CONFIRM).values_list("case_id", "job_id"))
    assert events == sorted((c, job_id) for job_id, cases in cases_of.items() for c in cases)
    audited = AuditEvent.objects.filter(action="exchange.confirm", object_type="exchange.case")
    assert sorted(audited.values_list("object_id", flat=True)) == sorted(str(c) for c in every_case)
    assert audit_verify().ok


def _wait_chunks(job: Job, chunks: int, backend: Backend, name: str) -> None:
    deadline = time.monotonic() + 120
    while JobChunk.objects.filter(job=job).count() < chunks:
        worker = backend.workers[-1]
        if worker.poll() is not None:
            pytest.fail(f"worker {name} ended before it was killed: {backend.log(name)}")
        assert time.monotonic() < deadline, f"worker {name} did not start the job: {backend.log(name)}"
        time.sleep(0.02)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_three_workers_at_once_run_each_chunk_once(
    tasks_backend: Backend, officers: Any, campaign: Campaign, make_member: Any
) -> None:
    """Three jobs, each sent three times (as a sweep and a resume might), to three workers racing: each job
    runs under one lease at a time, every chunk commits once, and the tasks sent twice do nothing."""
    case_ids = _proposed_cases(officers, campaign, make_member)
    jobs = [_confirm_job(officers, case_ids[i * 20 : (i + 1) * 20], chunk=4) for i in range(3)]
    cases_of = {job.pk: case_ids[i * 20 : (i + 1) * 20] for i, job in enumerate(jobs)}
    names = ["a", "b", "c"]
    for name in names:
        tasks_backend.start_worker(name, PARTYCARD_JOB_CHUNK_PAUSE="0.1")
    for _ in range(3):
        for job in jobs:
            assert job_enqueue(job.pk)
    _wait_done(jobs, tasks_backend, names)
    _assert_each_case_moved_once(jobs, cases_of)
    assert not AuditEvent.objects.filter(action="job.reclaim").exists()  # no worker was ever presumed dead
    if tasks_backend.name == "rq":
        import django_rq

        assert len(django_rq.get_queue(tasks_backend.queue)) == 0  # all nine tasks taken and done
    else:
        from django_tasks_db.models import DBTaskResult

        results = list(DBTaskResult.objects.values_list("status", flat=True))
        assert len(results) == 9 and set(results) == {"SUCCESSFUL"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
    tasks_backend: Backend, officers: Any, campaign: Campaign, make_member: Any
) -> None:
    """SIGKILL of the worker's whole process group after some chunks committed: the open chunk rolls back,
    the lease (2 s) runs out, the second worker's sweep queues the job again through the task backend, and
    it resumes from the last committed chunk. Nobody touches anything in between."""
    case_ids = _proposed_cases(officers, campaign, make_member)
    job = _confirm_job(officers, case_ids, chunk=5)
    assert job.chunk_count == 12
    first = tasks_backend.start_worker("first", PARTYCARD_JOB_CHUNK_PAUSE="0.3")
    assert job_enqueue(job.pk)
    _wait_chunks(job, 2, tasks_backend, "first")
    tasks_backend.kill(first)
    assert first.returncode == -signal.SIGKILL

    partial = Job.objects.get(pk=job.pk)
    assert partial.status == Job.Status.RUNNING and partial.lease_owner.split(":")[1] == str(first.pid)
    assert 2 <= partial.chunks_done < partial.chunk_count
    assert JobChunk.objects.filter(job=job).count() == partial.chunks_done  # the open chunk rolled back
    assert Case.objects.filter(pk__in=case_ids, state=State.CONFIRMED).count() == 5 * partial.chunks_done

    tasks_backend.start_worker("second")
    _wait_done([job], tasks_backend, ["second"])
    _assert_each_case_moved_once([job], {job.pk: case_ids})
    reclaimed = AuditEvent.objects.get(action="job.reclaim", object_id=str(job.pk))
    assert reclaimed.changes["runner"].split(":")[1] == str(first.pid)
    assert reclaimed.changes["chunks_done"] >= partial.chunks_done
    done = Job.objects.get(pk=job.pk)
    assert (done.lease_owner, done.lease_expires_at) == ("", None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_redis_restarted_mid_job_and_down_at_enqueue_loses_no_job(
    tmp_path: Path,
    settings: Any,
    client: Client,
    login: Any,
    officers: Any,
    campaign: Campaign,
    make_member: Any,
) -> None:
    """A private Redis, stopped without saving (its queue is lost) while the worker runs job A and job B
    waits in the queue; job C made while it is down. The worker stays up and reconnects; the officer sees
    that the queue is not answering; once Redis is back the sweep sends B and C again, and all three
    finish with each case moved once."""
    require_redis()
    redis = PrivateRedis(tmp_path)
    backend = Backend(name="rq", tmp=tmp_path, queue="partycard-test")
    redis.start()
    backend.redis_url = redis.url
    backend.configure(settings)
    try:
        case_ids = _proposed_cases(officers, campaign, make_member)
        a_cases, b_cases, c_cases = case_ids[:30], case_ids[30:45], case_ids[45:]
        job_a = _confirm_job(officers, a_cases, chunk=3)
        job_b = _confirm_job(officers, b_cases, chunk=5)
        worker = backend.start_worker(
            "only", PARTYCARD_JOB_CHUNK_PAUSE="0.4", PARTYCARD_JOB_REDELIVER_SECONDS="1"
        )
        assert job_enqueue(job_a.pk) and job_enqueue(job_b.pk)
        lost_task = Job.objects.get(pk=job_b.pk).task_id
        _wait_chunks(job_a, 2, backend, "only")
        assert Job.objects.get(pk=job_b.pk).status == Job.Status.QUEUED  # behind A: one worker

        redis.stop()  # A runs on (its state is the database's); B's task is gone with Redis's data
        job_c = _confirm_job(officers, c_cases, chunk=5)
        assert job_enqueue(job_c.pk) is False  # refused, not raised: no server error
        job_c.refresh_from_db()
        assert (job_c.status, job_c.task_id) == (Job.Status.QUEUED, "") and job_c.enqueued_at is not None
        login(client, officers.grassroots)
        page = client.get(f"/tac-vu/{job_c.pk}/")
        assert page.status_code == 200 and 'id="job-undelivered"' in page.content.decode()
        time.sleep(2)  # the worker and its sweep meet the outage
        assert worker.poll() is None, backend.log("only")
        redis.start()  # empty, on the same port

        _wait_done([job_a, job_b, job_c], backend, ["only"])
        assert worker.poll() is None  # the same worker process, reconnected by itself
        page = client.get(f"/tac-vu/{job_c.pk}/")
        assert 'id="job-undelivered"' not in page.content.decode()
    finally:
        backend.stop_all()
        redis.kill()
    _assert_each_case_moved_once(
        [job_a, job_b, job_c], {job_a.pk: a_cases, job_b.pk: b_cases, job_c.pk: c_cases}
    )
    redelivered = dict(AuditEvent.objects.filter(action="job.redeliver").values_list("object_id", "changes"))
    assert set(redelivered) == {str(job_b.pk), str(job_c.pk)}
    assert redelivered[str(job_b.pk)]["lost_task"] == lost_task
    assert redelivered[str(job_c.pk)]["lost_task"] is None
