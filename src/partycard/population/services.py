"""Writes of the population app (issue 17): start a check, resolve a task (correct the record from the
population database's values, or confirm it with a note). Keyword-only, the actor first, each in one
transaction with its audit row; scope checked on the object and every organisation it points to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.scope import OutOfScope, scope_require
from partycard.jobs.models import Job
from partycard.jobs.services import job_create
from partycard.population.errors import CheckRunning, NoteRequired, NothingToCorrect, TaskClosed, WrongField
from partycard.population.jobs import CHECK, check_plan, chunk_size
from partycard.population.models import CheckRun, DataTask, TaskStatus
from partycard.registry.models import Member, Organisation
from partycard.registry.models.organisation import PATH_SEPARATOR
from partycard.registry.services import member_update

__all__ = ["CORRECTABLE", "NOTE_MAX", "check_start", "task_confirm", "task_correct"]

# The fields a task corrects: those the check compares, and the citizen ID itself (a "not found" is most
# often a mistyped ID).
CORRECTABLE = ("full_name", "date_of_birth", "gender", "citizen_id")
NOTE_MAX = 2000


@transaction.atomic
def check_start(
    *, actor: Any, root: Organisation, enqueue: bool = True, at: dt.datetime | None = None
) -> CheckRun:
    """Start a check of ``root``'s subtree (the Centre: the whole country) as a job.

    ``actor=None`` is the operator's shell (``partycard population check`` without ``--as``).

    Raises:
        OutOfScope: ``root`` is not in ``actor``'s scope for running a check.
        CheckRunning: a check of ``root``, an organisation above it or one below it is queued or running
            (one that stopped with an error does not block: it may be resumed, or left).
        TooManyJobs: the actor already has ``JOBS_PER_USER`` jobs waiting or running.
    """
    if actor is not None and getattr(actor, "pk", None) is None:
        raise OutOfScope("organisation")
    scope_require(actor, Action.RUN_POPULATION_CHECK, root, field="organisation")
    ancestors = [root.path[: i + 1] for i, ch in enumerate(root.path) if ch == PATH_SEPARATOR]
    busy = CheckRun.objects.filter(
        Q(root__path__startswith=root.path) | Q(root__path__in=ancestors),
        finished_at__isnull=True,
        job__status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
    )
    if busy.exists():
        raise CheckRunning
    count, bounds = check_plan(root, size=chunk_size())
    run = CheckRun.objects.create(root=root, started_by=actor, started_at=at or clock.now(), members=count)
    params = {"run": run.pk, "bounds": bounds, "members": count, "operator": actor is None}
    job = job_create(actor=actor, kind=CHECK, params=params)
    run.job = job
    run.save(update_fields=["job"])
    audit_record(
        actor=actor,
        action="population.check_start",
        obj=run,
        changes={"organisation": root.code, "members": count, "job": job.pk},
    )
    if enqueue:
        from partycard.jobs.tasks import job_enqueue

        transaction.on_commit(lambda: job_enqueue(job.pk))
    return run


def _open_task(actor: Any, task: DataTask) -> tuple[DataTask, Member]:
    scope_require(actor, Action.RESOLVE_DATA_TASK, task)
    locked = DataTask.objects.select_for_update().get(pk=task.pk)
    if locked.status != TaskStatus.OPEN:
        raise TaskClosed
    member = Member.objects.get(pk=locked.member_id)
    # The task's cell and the member's cell now (they differ if the member moved since it was raised).
    scope_require(
        actor,
        Action.RESOLVE_DATA_TASK,
        Organisation(pk=locked.cell_id),
        Organisation(pk=member.organisation_id),
        field="organisation",
    )
    return locked, member


@transaction.atomic
def task_correct(
    *, actor: Any, task: DataTask, changes: Mapping[str, Any], note: str = "", at: dt.datetime | None = None
) -> DataTask:
    """Correct the member's record (through ``registry.services.member_update``: its history, audit and
    rules) and mark the task corrected.

    ``changes``: new values of ``CORRECTABLE`` fields; a value equal to the record's is no change.

    Raises:
        OutOfScope: the task, its cell or the member's cell is outside the actor's scope.
        TaskClosed: the task is already resolved.
        WrongField: a field that is not correctable here, or a value the member's rules refuse.
        NothingToCorrect: no value differs from the record.
    """
    locked, member = _open_task(actor, task)
    for name in changes:
        if name not in CORRECTABLE:
            raise WrongField(name)
    changed = {k: v for k, v in changes.items() if getattr(member, k) != v}
    if not changed:
        raise NothingToCorrect
    try:
        member_update(
            actor=actor,
            member=member,
            changes=dict(changed),
            reason=f"population check task #{locked.pk}",
        )
    except ValidationError as e:
        fields = getattr(e, "error_dict", {}) or {"__all__": e.error_list}
        name, errors = next(iter(fields.items()))
        raise WrongField(
            name if name != "__all__" else "", "; ".join(m for err in errors for m in err.messages)
        ) from e
    locked.status = TaskStatus.CORRECTED
    locked.note = note.strip()[:NOTE_MAX]
    locked.resolved_at = at or clock.now()
    locked.resolved_by = actor if getattr(actor, "pk", None) else None
    locked.full_clean()
    locked.save()
    audit_record(
        actor=actor,
        action="population.task_correct",
        obj=locked,
        changes={"member": member.pk, "fields": sorted(changed), "reasons": locked.reasons},
    )
    return locked


@transaction.atomic
def task_confirm(*, actor: Any, task: DataTask, note: str, at: dt.datetime | None = None) -> DataTask:
    """Confirm the record as it is, with a note saying why (the note is required): the same difference is
    not raised again by later checks.

    Raises:
        OutOfScope: the task, its cell or the member's cell is outside the actor's scope.
        TaskClosed: the task is already resolved.
        NoteRequired: the note is empty.
    """
    locked, member = _open_task(actor, task)
    text = note.strip()
    if not text:
        raise NoteRequired
    locked.status = TaskStatus.CONFIRMED
    locked.note = text[:NOTE_MAX]
    locked.resolved_at = at or clock.now()
    locked.resolved_by = actor if getattr(actor, "pk", None) else None
    locked.full_clean()
    locked.save()
    audit_record(
        actor=actor,
        action="population.task_confirm",
        obj=locked,
        changes={"member": member.pk, "reasons": locked.reasons},
    )
    return locked
