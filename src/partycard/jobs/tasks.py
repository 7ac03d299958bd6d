"""The jobs as Django tasks: the web app enqueues, the database-backed worker runs them.

The worker is django-tasks-db's ``partycard db_worker`` (``make run`` starts one next to the web
server). A worker that dies mid-job leaves whole chunks behind; ``partycard job run ID`` (or enqueuing
the job again) finishes it exactly once.
"""

from __future__ import annotations

from django_tasks import task

from partycard.jobs.services import job_run


@task()
def run_job(job_id: int) -> int:
    """Run (or resume) a job; return how many items succeeded."""
    return job_run(job_id).succeeded
