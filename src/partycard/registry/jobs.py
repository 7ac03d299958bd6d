"""A large roster imported (issue 12) or exported (issue 15) by the background worker, not in the request.

**Import.**
Two jobs, as the page's preview and confirmation: a *check* job reads every row and records each row with
a problem as a job failure (the row number as its target); once it found none, its starter may confirm,
which makes a *write* job that checks again and writes all rows in one transaction, or nothing. Each is
one chunk: an import is all or nothing, so it cannot commit part by part as the exchange's jobs do; the
job page shows its status, the rows read, the members created and every problem.

The upload waits under ``VAR_DIR/uploads`` (``upload_dir``) until the write job ends, or the check finds
a problem; an upload never confirmed is removed after ``UPLOAD_TTL``.

**Export** (``start_export``) of a subtree larger than ``EXPORT_INLINE_MEMBERS``: one chunk per id range of
the plan (``exporting.export_plan``), each writing its sorted part into the job's scratch directory, and a
last chunk that merges the parts into the workbook, records it as the job's result file (``jobs``' private
storage: its starter downloads it, in scope, until it expires) and audits the export. A chunk run again
after a crash rewrites its part, so the file has every member once. Each chunk checks the starter's scope
of the organisation again: a starter moved out of it, or whose account is gone, stops the job.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.errors import FieldIssue, RowIssue
from partycard.core.scope import OutOfScope, scope_require
from partycard.jobs import storage
from partycard.jobs.kinds import JobPage
from partycard.jobs.models import Job
from partycard.jobs.services import ChunkResult, Failure, job_create, job_file_record, register
from partycard.registry import exporting
from partycard.registry.importing import ImportResult, import_roster
from partycard.registry.models import Organisation
from partycard.registry.roster import ParseError

__all__ = [
    "EXPORT",
    "IMPORT",
    "UPLOAD_TTL",
    "confirmable",
    "export_file_scope",
    "export_job_page",
    "import_job_page",
    "register_kinds",
    "start_export",
    "start_import",
    "upload_dir",
    "upload_path",
]

IMPORT = "registry.import"
EXPORT = "registry.export"
UPLOAD_TTL = 24 * 3600  # seconds an upload waiting for its confirmation is kept


def upload_dir() -> Path:
    """``VAR_DIR/uploads``, made if missing; uploads older than ``UPLOAD_TTL`` are removed on the way."""
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - UPLOAD_TTL
    for stale in path.iterdir():
        try:
            if stale.is_file() and stale.stat().st_mtime < cutoff:
                stale.unlink(missing_ok=True)
        except OSError:  # another process removed it first
            continue
    return path


def upload_path(name: str) -> Path:
    """The stored upload called ``name`` (only its last part counts: no way out of the directory)."""
    return upload_dir() / Path(name).name


def _failures(result_vi: ImportResult, result_en: ImportResult | None) -> list[Failure]:
    english = {r.row: r for r in result_en.problems} if result_en else {}
    failures = []
    for row in result_vi.problems:
        other = english.get(row.row, row)
        failures.append(
            Failure(
                target_id=row.row,
                message_vi="; ".join(f"{i.field}: {i.message}" if i.field else i.message for i in row.issues),
                message_en="; ".join(
                    f"{i.field}: {i.message}" if i.field else i.message for i in other.issues
                ),
            )
        )
    if result_vi.unlisted:
        with translation.override("vi"):
            vi = _("…and %(n)d more rows with problems.") % {"n": result_vi.unlisted}
        with translation.override("en"):
            en = _("…and %(n)d more rows with problems.") % {"n": result_vi.unlisted}
        failures.append(Failure(target_id=0, message_vi=vi, message_en=en))
    return failures


def _run(job: Job, *, dry_run: bool, language: str) -> ImportResult:
    scope = Organisation.objects.filter(pk=job.params["scope"]).first()
    with translation.override(language):
        if job.actor is None or scope is None:  # never the operator's "anywhere" for a web upload
            message = _("The user who uploaded the file, or their organisation, no longer exists.")
            return ImportResult(problems=[RowIssue(0, [FieldIssue("", message)])], bad_rows=1)
        try:
            return import_roster(
                upload_path(job.params["file"]), actor=job.actor, scope=scope, dry_run=dry_run
            )
        except (ParseError, FileNotFoundError) as e:
            message = str(e) if isinstance(e, ParseError) else _("The uploaded file is no longer available.")
            return ImportResult(problems=[RowIssue(0, [FieldIssue("", message)])], bad_rows=1)


class ImportKind:
    """Check (``params["write"]`` false) or check-and-write a stored roster upload, in one chunk."""

    def chunk_count(self, job: Job) -> int:
        return 1

    def total(self, job: Job) -> int:
        return 0  # the rows are counted as they are read

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        write = bool(job.params.get("write"))
        result = _run(job, dry_run=not write, language="vi")
        english = _run(job, dry_run=True, language="en") if not result.ok else None
        Job.objects.filter(pk=job.pk).update(total=result.rows)
        stored = upload_path(job.params["file"])
        if write or not result.ok:  # done with the file: written, or refused
            transaction.on_commit(lambda: stored.unlink(missing_ok=True))
        return ChunkResult(
            succeeded=result.created if write else (result.rows if result.ok else 0),
            failures=_failures(result, english),
        )


def confirmable(actor: object, job: Job) -> bool:
    """A check job its ``actor`` may confirm: theirs, finished without a problem, its upload still here."""
    return (
        job.kind == IMPORT
        and not job.params.get("write")
        and job.actor_id == getattr(actor, "pk", None)
        and job.status == Job.Status.DONE
        and job.failed == 0
        and upload_path(job.params["file"]).exists()
    )


def import_job_page(viewer: Any, job: Job, target_ids: Sequence[int]) -> JobPage:
    """The job page of an import: failures are rows of the file; once checked, the confirmation."""
    return JobPage(
        back_url=reverse("registry:import"),
        target_heading=_("Row"),
        result_template="registry/_import_job_result.html",
        result_context={"writes": bool(job.params.get("write")), "confirmable": confirmable(viewer, job)},
    )


class ExportKind:
    """A subtree's roster: one chunk per id range of ``params["bounds"]``, then the seal."""

    def chunk_count(self, job: Job) -> int:
        return len(job.params["bounds"]) + 2  # the ranges (one more than their bounds), then the seal

    def total(self, job: Job) -> int:
        return int(job.params["members"])

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        root = Organisation.objects.filter(pk=job.params["organisation"]).first()
        if job.actor is None or root is None:  # a web export is never the operator's "anywhere"
            raise OutOfScope("organisation")
        scope_require(job.actor, Action.EXPORT_MEMBER, root, field="organisation")
        bounds = [int(b) for b in job.params["bounds"]]
        seal = len(bounds) + 1
        if index < seal:
            rows = exporting.export_part(
                job.actor, root, bounds=bounds, index=index, path=_part(job.pk, index)
            )
            return ChunkResult(succeeded=rows)
        at = clock.now()
        rows = exporting.export_seal(
            [_part(job.pk, i) for i in range(seal)], storage.result_path(job.pk, ".xlsx")
        )
        job_file_record(
            job=job,
            suffix=".xlsx",
            name=exporting.export_filename(root),
            content_type=exporting.CONTENT_TYPE,
            path=root.path,
            action=Action.EXPORT_MEMBER,
            rows=rows,
            at=at,
        )
        changes = {"members": [None, rows], "job": job.pk}
        audit_record(actor=job.actor, action="export", obj=root, changes=changes)
        transaction.on_commit(lambda: storage.scratch_remove(job.pk))
        return ChunkResult()


def _part(job_id: int, index: int) -> Path:
    return storage.scratch_dir(job_id) / f"part-{index:05d}"


def export_job_page(viewer: Any, job: Job, target_ids: Sequence[int]) -> JobPage:
    """The job page of an export: which organisation (in the viewer's scope: the job's is theirs or
    below), and back to its member list. The download itself is the job page's (``jobs``)."""
    root = (
        Organisation.objects.scoped(viewer, Action.VIEW_ORGANISATION)
        .filter(pk=job.params.get("organisation"))
        .first()
    )
    if root is None:
        return JobPage(back_url=reverse("registry:member_list"))
    return JobPage(
        title=_("Member list of %(name)s (%(code)s)") % {"name": root.name, "code": root.code},
        back_url=f"{reverse('registry:member_list')}?organisation={root.code}",
    )


def export_file_scope(actor: Any, job: Job, action: str) -> bool:
    """The exported organisation, where it is now, is in ``actor``'s scope for ``action`` (checked at each
    download: one moved out of their subtree since the export, or dissolved, takes its file with it)."""
    organisation = job.params.get("organisation")
    return Organisation.objects.scoped(actor, action).filter(pk=organisation).exists()


def register_kinds() -> None:
    """Called from ``RegistryConfig.ready``."""
    register(IMPORT, ImportKind(), label=gettext_lazy("Roster import"), page=import_job_page)
    register(
        EXPORT,
        ExportKind(),
        label=gettext_lazy("Roster export"),
        page=export_job_page,
        file_scope=export_file_scope,
    )


@transaction.atomic
def start_export(*, actor: Any, root: Organisation, enqueue: bool = True) -> Job:
    """A job writing the roster of ``root``'s subtree for ``actor`` to download (audited: ``job.create``
    now, ``export`` when the file is made, ``job.file_download`` at each download).

    Raises:
        OutOfScope: ``root`` is not in ``actor``'s scope for exporting (or there is no actor).
        TooManyJobs: the actor already has ``JOBS_PER_USER`` jobs waiting or running.
    """
    if getattr(actor, "pk", None) is None:
        raise OutOfScope("organisation")
    scope_require(actor, Action.EXPORT_MEMBER, root, field="organisation")
    plan = exporting.export_plan(actor, root, size=int(settings.PARTYCARD["EXPORT_CHUNK_MEMBERS"]))
    params = {"organisation": root.pk, "code": root.code, "members": plan.members, "bounds": plan.bounds}
    job = job_create(actor=actor, kind=EXPORT, params=params)
    if enqueue:
        from partycard.jobs.tasks import job_enqueue

        transaction.on_commit(lambda: job_enqueue(job.pk))
    return job


@transaction.atomic
def start_import(
    *, actor: Any, scope: Organisation, file: str, name: str, write: bool, enqueue: bool = True
) -> Job:
    """A job checking (or, with ``write``, importing) the stored upload ``file`` into ``scope``."""
    params = {"file": Path(file).name, "name": name[:200], "scope": scope.pk, "write": write}
    job = job_create(actor=actor, kind=IMPORT, params=params)
    if enqueue:
        from partycard.jobs.tasks import job_enqueue

        transaction.on_commit(lambda: job_enqueue(job.pk))
    return job
