"""Production's job kinds and how one is started (the kinds run in ``production.jobs``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from partycard.jobs.models import Job
from partycard.jobs.services import job_create
from partycard.jobs.tasks import job_enqueue
from partycard.production.models import Batch

__all__ = ["BUILD", "SOD", "job_start"]

BUILD = "production.build"  # pass one: the batch file, chunk by chunk, then its seal
SOD = "production.sod"  # pass two: the SODs over the chips' keys, chunk by chunk, then the SOD file


def job_start(*, actor: Any, kind: str, batch: Batch, enqueue: bool = True) -> Job:
    """Record the job of ``kind`` over the whole batch (its cards by place) and, on commit, queue it."""
    params = {
        "batch": batch.pk,
        "cards": batch.cards.count(),
        "chunk": int(settings.PARTYCARD["JOB_CHUNK_SIZE"]),
    }
    job = job_create(actor=actor, kind=kind, params=params)
    if enqueue:
        transaction.on_commit(lambda: job_enqueue(job.pk))
    return job
