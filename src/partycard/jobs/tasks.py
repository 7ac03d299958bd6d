"""The jobs as Django tasks: the web app enqueues (``job_enqueue``), a worker runs them.

The backend is chosen by ``PARTYCARD_TASKS_BACKEND`` (settings, docs/operations.md "Tasks on a broker"):
django-tasks-db's queue in the database, run by ``partycard db_worker`` (``make run`` starts one), or RQ on
Redis, run by ``partycard rq_worker``. Both workers run the lease sweep (``jobs.sweeper``). A worker that
dies mid-job leaves whole chunks behind and a lease that runs out; the sweep of any live worker then queues
the job again, and it finishes exactly once (so does ``partycard job run ID``, at once).

The task only says "run job N": the job's state is in the database. So a broker that refuses a task (Redis
down) or loses it (Redis restarted without its data) loses nothing: ``job_enqueue`` records what happened
on the job, and the sweep sends again a queued job whose task its broker no longer holds
(``services.jobs_redeliver``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist
from redis.exceptions import RedisError

from partycard.core import clock
from partycard.jobs.models import Job
from partycard.jobs.runner import job_run

__all__ = ["BROKER_ERRORS", "job_enqueue", "run_job", "task_waiting"]

logger = logging.getLogger(__name__)

# What a backend raises when its broker cannot take or answer (Redis down or unreachable; the database of
# django-tasks-db): caught where a job is enqueued, never shown to the officer as a server error.
BROKER_ERRORS: tuple[type[Exception], ...] = (RedisError, DatabaseError, OSError)


@task(queue_name=settings.PARTYCARD["TASKS_QUEUE"])
def run_job(job_id: int) -> int:
    """Run (or resume) a job, unless a live runner holds its lease; return how many items succeeded."""
    return job_run(job_id).succeeded


def job_enqueue(job_id: int) -> bool:
    """Send the job to the workers' queue and record the task on the job; whether the broker took it.

    Called once the job's transaction has committed (``transaction.on_commit``). A broker that refuses the
    task is logged, not raised: the job stays queued with no task (the job's page says it is waiting for
    the queue) and the sweep sends it again once the broker is back.
    """
    at = clock.now()
    try:
        result = run_job.using(queue_name=settings.PARTYCARD["TASKS_QUEUE"]).enqueue(job_id)
    except BROKER_ERRORS as e:
        logger.warning(
            "job %s: the task queue refused it (%s); the sweep sends it again", job_id, type(e).__name__
        )
        Job.objects.filter(pk=job_id).update(task_id="", enqueued_at=at)
        return False
    Job.objects.filter(pk=job_id).update(task_id=result.id, enqueued_at=at)
    return True


def task_waiting(task_id: str) -> bool:
    """Whether the broker still holds the task, waiting for a worker (False: lost, ended, or taken).

    A task a worker took has taken its job's lease within milliseconds (the job is no longer queued); a
    task taken while its job is still queued long after belongs to a worker that died in between.

    Raises:
        one of BROKER_ERRORS: the broker cannot answer now (the sweep asks again later).
    """
    if not task_id:
        return False
    try:
        result = run_job.get_result(task_id)
    except TaskResultDoesNotExist:
        return False
    return bool(result.status == TaskResultStatus.READY)
