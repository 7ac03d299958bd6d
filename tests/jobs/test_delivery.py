"""Getting a job's task to the workers: a broker that refuses it is no server error and loses no job.

``job_enqueue`` records the task on the job, or, when the broker refuses it (here: an RQ backend whose
Redis port has nothing listening, a real refused connection), logs it and leaves the job queued with no
task, which the job's page tells the officer; ``jobs_redeliver`` (the sweep) later sends again every queued
job whose task its broker no longer holds, once however many sweeps run. The whole path against real
workers and a restarted Redis is tests/jobs/test_broker.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from partycard.audit.models import AuditEvent
from partycard.core import clock
from partycard.jobs import kinds
from partycard.jobs.models import Job
from partycard.jobs.services import job_create, job_run, jobs_reclaim, jobs_redeliver
from partycard.jobs.tasks import job_enqueue
from tests.jobs.test_job_runner import KIND, Chunks
from tests.jobs.test_views import _stopped_job

GRACE = dt.timedelta(seconds=60)  # the default JOB_REDELIVER_SECONDS


@pytest.fixture
def kind(monkeypatch: pytest.MonkeyPatch) -> Iterator[Chunks]:
    k = Chunks()
    monkeypatch.setitem(kinds._KINDS, KIND, k)
    yield k


@pytest.fixture
def broker_down(settings: Any) -> None:
    """The RQ backend, on a Redis port where nothing listens (port 9, discard: never a Redis)."""
    queue = {"URL": "redis://127.0.0.1:9/0", "DEFAULT_TIMEOUT": -1}
    settings.RQ_QUEUES = {"default": queue}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.PARTYCARD = {**settings.PARTYCARD, "TASKS_BACKEND": "rq"}


@pytest.mark.django_db
def test_an_enqueue_the_broker_refuses_is_recorded_and_not_raised(
    kind: Chunks, broker_down: None, caplog: pytest.LogCaptureFixture
) -> None:
    job = job_create(actor=None, kind=KIND, params={"chunks": 2})
    before = clock.now()
    assert job_enqueue(job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.task_id) == (Job.Status.QUEUED, "")
    assert job.enqueued_at is not None and job.enqueued_at >= before
    assert f"job {job.pk}: the task queue refused it (ConnectionError)" in caplog.text


@pytest.mark.django_db(transaction=True)  # the resume's enqueue runs when its transaction commits, as live
def test_the_officer_is_told_the_queue_is_not_answering(
    client: Client,
    login: Any,
    officers: Any,
    campaign: Any,
    make_member: Any,
    broker_down: None,
    settings: Any,
) -> None:
    """Continuing a stopped job while the broker is down: an error message and the job's page, not a 500;
    the page says so while the job waits for the queue."""
    job = _stopped_job(officers, campaign, make_member)
    login(client, officers.grassroots)
    response = client.post(f"/tac-vu/{job.pk}/tiep-tuc/", follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert AuditEvent.objects.filter(action="job.resume", object_id=str(job.pk)).exists()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)  # as the sweep leaves it once reclaimed
    page = client.get(f"/tac-vu/{job.pk}/").content.decode()
    assert 'id="job-undelivered"' in page, (
        Job.objects.filter(pk=job.pk).values("status", "task_id", "enqueued_at").get()
    )

    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    response = client.post(f"/tac-vu/{job.pk}/tiep-tuc/", follow=True)  # the queue is back
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert 'id="job-undelivered"' not in response.content.decode()


@pytest.mark.django_db
def test_the_sweep_sends_again_a_queued_job_whose_task_is_gone_once(
    kind: Chunks, django_capture_on_commit_callbacks: Any
) -> None:
    """Three queued jobs on the database backend: one whose task waits (left alone), one whose task is gone
    (sent again), one the broker refused (sent again); none before the grace; two sweeps send once."""
    waiting, lost, refused = (job_create(actor=None, kind=KIND, params={"chunks": 2}) for _ in range(3))
    for job in (waiting, lost):
        assert job_enqueue(job.pk)
    lost_task = Job.objects.get(pk=lost.pk).task_id
    DBTaskResult.objects.filter(id=lost_task).delete()  # as Redis restarted without its data
    Job.objects.filter(pk=refused.pk).update(task_id="", enqueued_at=clock.now())  # as job_enqueue refused
    now = clock.now()

    assert jobs_redeliver(at=now) == []  # within the grace: an enqueue may be on its way
    later = now + GRACE + dt.timedelta(seconds=1)
    assert jobs_redeliver(at=later) == [lost.pk, refused.pk]
    assert jobs_redeliver(at=later) == []  # their new tasks wait: a second sweep sends nothing
    assert DBTaskResult.objects.filter(args_kwargs__args=[waiting.pk]).count() == 1
    for job in (lost, refused):
        job.refresh_from_db()
        assert job.task_id and DBTaskResult.objects.get(id=job.task_id).args_kwargs["args"] == [job.pk]
    changes = dict(AuditEvent.objects.filter(action="job.redeliver").values_list("object_id", "changes"))
    assert changes == {str(lost.pk): {"lost_task": lost_task}, str(refused.pk): {"lost_task": None}}
    assert job_run(lost.pk).status == Job.Status.DONE  # what the worker does with it


@pytest.mark.django_db
def test_a_reclaimed_job_is_not_also_redelivered(
    kind: Chunks, django_capture_on_commit_callbacks: Any
) -> None:
    """The lease sweep puts a job back to queued and enqueues it once its transaction commits; a
    redelivery sweep in between (another worker's) does not send it a second time: the reclaim counts as
    its last enqueue."""
    job = job_create(actor=None, kind=KIND, params={"chunks": 3})
    assert job_enqueue(job.pk)
    DBTaskResult.objects.filter(id=Job.objects.get(pk=job.pk).task_id).update(status="RUNNING")  # taken
    job_run(job.pk, stop_after=1)
    expires = clock.now() + dt.timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, lease_owner="dead:1:0", lease_expires_at=expires
    )
    at = expires + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=False) as enqueues:
        assert jobs_reclaim(at=at) == [job.pk]
    assert jobs_redeliver(at=at + dt.timedelta(seconds=1)) == []  # before the reclaim's enqueue has run
    for enqueue in enqueues:
        enqueue()
    assert (
        DBTaskResult.objects.filter(args_kwargs__args=[job.pk]).count() == 2
    )  # the first, and the reclaim's
