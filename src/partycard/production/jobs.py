"""Production's background jobs: building a batch's file (pass one) and signing its SODs (pass two).

Each has one chunk per ``JOB_CHUNK_SIZE`` cards of the batch (by place in the batch, so a chunk is the
same cards whenever it runs) and a last chunk that seals the file. The job runner commits each chunk
once; a chunk re-run after a crash rewrites its part file (``services.building``), so no card is
duplicated or missed in the sealed file.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partycard.jobs.kinds import ChunkResult, JobPage
from partycard.jobs.models import Job
from partycard.jobs.services import register
from partycard.production.kinds import BUILD, SOD
from partycard.production.models import Batch

__all__ = ["register_kinds"]


def _size(job: Job) -> int:
    return int(job.params.get("chunk") or settings.PARTYCARD["JOB_CHUNK_SIZE"])


class _BatchJob:
    def chunk_count(self, job: Job) -> int:
        return math.ceil(int(job.params["cards"]) / _size(job)) + 1  # the cards' chunks, then the seal

    def total(self, job: Job) -> int:
        return int(job.params["cards"])

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        raise NotImplementedError


class Build(_BatchJob):
    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        from partycard.production.services import batch_build_chunk, batch_seal

        chunks = self.chunk_count(job) - 1
        if index < chunks:
            return batch_build_chunk(
                actor=job.actor, batch_id=job.params["batch"], index=index, size=_size(job)
            )
        return batch_seal(actor=job.actor, batch_id=job.params["batch"], chunks=chunks)


class Sign(_BatchJob):
    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        from partycard.production.services import sod_chunk, sod_seal

        chunks = self.chunk_count(job) - 1
        if index < chunks:
            return sod_chunk(actor=job.actor, batch_id=job.params["batch"], index=index, size=_size(job))
        return sod_seal(actor=job.actor, batch_id=job.params["batch"], chunks=chunks)


def production_job_page(viewer: Any, job: Job, target_ids: Any) -> JobPage:
    batch = Batch.objects.filter(pk=job.params.get("batch")).first()
    heading = _("Building batch") if job.kind == BUILD else _("Signing the chip data of batch")
    return JobPage(
        title=f"{heading} {batch.code}" if batch else str(heading),
        back_url=reverse("production:batch", args=[batch.pk]) if batch else "",
        target_heading=str(_("Card")),
    )


def register_kinds() -> None:
    register(BUILD, Build(), label=_("Build a production batch"), page=production_job_page)
    register(SOD, Sign(), label=_("Sign the chip data of a production batch"), page=production_job_page)
