"""The jobs as Django tasks: the web app enqueues, the database-backed worker runs them.

The worker is django-tasks-db's ``partycard db_worker`` (``make run`` starts one next to the web
server), with the lease sweep of ``jobs/management/commands/db_worker.py``. A worker that dies mid-job
leaves whole chunks behind and a lease that runs out; the sweep of any live worker then queues the job
again, and it finishes exactly once (so does ``partycard job run ID``, at once).
"""

from __future__ import annotations

from django_tasks import task

from partycard.jobs.runner import job_run


@task()
def run_job(job_id: int) -> int:
    """Run (or resume) a job, unless a live runner holds its lease; return how many items succeeded."""
    return job_run(job_id).succeeded
