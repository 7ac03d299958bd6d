"""The sync's background jobs (``partycard.jobs``): a file's preview, and its apply.

**Preview** (``start_preview``): one chunk per ``SYNC_CHUNK_ROWS`` rows of the file (an .xlsx: one chunk,
since skipping its rows costs as much as reading them), each staging its rows in its own transaction with
its ``JobChunk`` row, so a preview killed half-way resumes at the first chunk not done and never stages a
row twice (``SyncRow`` is unique per run and row number too); a last chunk finds the repeated keys, counts
and marks the run ready. **Apply** (``start_apply``): one chunk, so one transaction: all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partycard.accounts.roles import Action
from partycard.core.scope import OutOfScope, scope_require
from partycard.jobs.kinds import ChunkResult, JobPage
from partycard.jobs.models import Job
from partycard.jobs.services import job_create, register
from partycard.partysync import services
from partycard.partysync.choices import RunStatus
from partycard.partysync.models import SyncRun
from partycard.registry.models import Organisation

__all__ = ["APPLY", "PREVIEW", "register_kinds", "start_apply", "start_preview"]

PREVIEW = "partysync.preview"
APPLY = "partysync.apply"


def _run_of(job: Job) -> SyncRun:
    return SyncRun.objects.get(pk=job.params["run"])


class PreviewKind:
    def chunk_count(self, job: Job) -> int:
        return int(job.params["chunks"]) + 1  # the row chunks, then the finish

    def total(self, job: Job) -> int:
        return 0

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        run = _run_of(job)
        chunks = int(job.params["chunks"])
        if index < chunks:
            return ChunkResult(succeeded=services.preview_chunk(run, index, chunks))
        run = services.preview_finish(run)
        if job.params.get("remove_file"):
            stored = Path(run.stored)
            transaction.on_commit(lambda: stored.unlink(missing_ok=True))
        return ChunkResult()


class ApplyKind:
    def chunk_count(self, job: Job) -> int:
        return 1

    def total(self, job: Job) -> int:
        return 0

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        run = _run_of(job)
        if job.actor is None and not job.params.get("operator"):
            raise OutOfScope("organisation")  # a web apply is never the operator's "anywhere"
        run = services.sync_apply(actor=job.actor, run=run)
        return ChunkResult(succeeded=run.written)


def _page(viewer: Any, job: Job, target_ids: Sequence[int]) -> JobPage:
    run = SyncRun.objects.scoped(viewer, Action.SYNC_MEMBER).filter(pk=job.params.get("run")).first()
    if run is None:
        return JobPage(back_url=reverse("partysync:run_list"))
    return JobPage(
        title=_("Synchronisation #%(n)d") % {"n": run.pk},
        back_url=reverse("partysync:run_detail", args=[run.pk]),
    )


def register_kinds() -> None:
    """Called from ``PartysyncConfig.ready``."""
    register(PREVIEW, PreviewKind(), label=gettext_lazy("Synchronisation preview"), page=_page)
    register(APPLY, ApplyKind(), label=gettext_lazy("Synchronisation apply"), page=_page)


def _enqueue(job: Job) -> None:
    from partycard.jobs.tasks import job_enqueue

    transaction.on_commit(lambda: job_enqueue(job.pk))


@transaction.atomic
def start_preview(
    *, actor: Any, root: Organisation, path: Path, name: str, remove_file: bool, enqueue: bool = True
) -> tuple[SyncRun, Job]:
    """A run for the file at ``path`` and the job that previews it.

    Raises:
        OutOfScope: ``root`` is outside the actor's scope for synchronising.
        ParseError: the file is not of a known format.
        TooManyJobs: the actor already has ``JOBS_PER_USER`` jobs waiting or running.
    """
    run, chunks = services.sync_run_create(actor=actor, root=root, path=path, name=name)
    job = job_create(
        actor=actor, kind=PREVIEW, params={"run": run.pk, "chunks": chunks, "remove_file": remove_file}
    )
    SyncRun.objects.filter(pk=run.pk).update(preview_job_id=job.pk)
    run.preview_job_id = job.pk
    if enqueue:
        _enqueue(job)
    return run, job


@transaction.atomic
def start_apply(*, actor: Any, run: SyncRun, enqueue: bool = True) -> Job:
    """The job that applies a previewed run (``services.sync_apply``).

    Raises:
        OutOfScope: the run is outside the actor's scope.
        DomainError: the run is not a preview ready to apply.
    """
    from partycard.core.errors import DomainError, ErrorCode

    scope_require(actor, Action.SYNC_MEMBER, run)
    locked = SyncRun.objects.select_for_update().get(pk=run.pk)
    if locked.status != RunStatus.PREVIEW or locked.apply_job_id is not None:
        raise DomainError(_("This synchronisation is not waiting to be applied."), code=ErrorCode.CONFLICT)
    job = job_create(actor=actor, kind=APPLY, params={"run": run.pk, "operator": actor is None})
    SyncRun.objects.filter(pk=run.pk).update(apply_job_id=job.pk)
    if enqueue:
        _enqueue(job)
    return job
