"""Routes of the population app (issue 17); the same scope rules as its pages.

The checks of organisations in the caller's scope and their counts per organisation; starting one (a
job: 202 with the run); the tasks of members in the caller's scope, and resolving one: correct the record
(the fields given) or confirm it with a note. A task or run outside the scope is the 404 of a missing one.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Status

from partycard.accounts.roles import Action
from partycard.api.routers.access import actor_of, require_action
from partycard.api.schemas.population import (
    MAX_ID,
    CheckCountsOut,
    CheckRunIn,
    CheckRunOut,
    CheckRunPage,
    CheckRunQuery,
    DataTaskOut,
    DataTaskPage,
    DataTaskQuery,
    TaskConfirmIn,
    TaskCorrectIn,
)
from partycard.api.schemas.problems import problems
from partycard.population import selectors, services
from partycard.population.models import CheckRun, DataTask, TaskStatus
from partycard.registry.models import Organisation

__all__ = ["router"]

router = Router(tags=["population"])


def _org(o: Organisation) -> dict[str, str]:
    return {"code": o.code, "name": o.name}


def _run(actor: Any, run: CheckRun) -> dict[str, Any]:
    """The run as ``actor`` may see it: a run of an organisation above them counts their part only."""
    return {
        "id": run.pk,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "percent": run.percent,
        **selectors.run_summary(actor, run),
        "organisation": _org(run.root),
        "job": run.job_id,
    }


def _task(task: DataTask) -> dict[str, Any]:
    return {
        **{f: getattr(task, f) for f in ("id", "reasons", "status", "note", "raised_at", "resolved_at")},
        "member": task.member_id,
        "member_name": task.member.full_name,
        "cell": _org(task.cell),
        "found": {k: str(v) for k, v in (task.found or {}).items()},
        "run": task.run_id,
    }


def _scoped_org(actor: Any, code: str, action: Action) -> Organisation:
    org = Organisation.objects.scoped(actor, action).filter(code=code.upper()).first()
    if org is None:
        raise Http404
    return org


@router.get(
    "/population/runs",
    response={200: CheckRunPage, **problems(400, 422)},
    operation_id="population_run_list",
    summary="Population database checks of organisations in your scope, newest first",
)
def run_list(request: HttpRequest, query: Query[CheckRunQuery]) -> Any:
    found = selectors.run_list(actor_of(request)).order_by("-pk")
    if query.cursor is not None:
        found = found.filter(pk__lt=int(query.cursor or 0) or 1)
    rows = list(found[: query.limit + 1])
    items = rows[: query.limit]
    more = len(rows) > query.limit
    return {
        "items": [_run(actor_of(request), r) for r in items],
        "next_cursor": str(items[-1].pk) if more else None,
    }


@router.post(
    "/population/runs",
    response={202: CheckRunOut, **problems(403, 404, 409, 422, 429)},
    operation_id="population_run_start",
    summary="Start a check of an organisation's subtree with the population database (a background job)",
)
def run_start(request: HttpRequest, payload: CheckRunIn) -> Any:
    actor = actor_of(request)
    require_action(actor, Action.RUN_POPULATION_CHECK)
    root = _scoped_org(actor, payload.organisation, Action.RUN_POPULATION_CHECK)
    return Status(202, _run(actor, services.check_start(actor=actor, root=root)))


@router.get(
    "/population/runs/{run_id}",
    response={200: CheckRunOut, **problems(404, 422)},
    operation_id="population_run_get",
    summary="One check: its progress and counts",
)
def run_get(request: HttpRequest, run_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    run = selectors.run_get(actor_of(request), run_id)
    if run is None:
        raise Http404
    return _run(actor_of(request), run)


@router.get(
    "/population/runs/{run_id}/organisations",
    response={200: list[CheckCountsOut], **problems(404, 422)},
    operation_id="population_run_counts",
    summary="A check's counts by reason: the organisation's total first, then each child organisation",
)
def run_counts(
    request: HttpRequest, run_id: int = Path(..., ge=1, le=MAX_ID), organisation: str | None = None
) -> Any:
    actor = actor_of(request)
    run = selectors.run_get(actor, run_id)
    if run is None:
        raise Http404
    parent = selectors.run_view_root(actor, run)
    if organisation:
        parent = _scoped_org(actor, organisation, Action.VIEW_POPULATION_CHECK)
        if not parent.path.startswith(run.root.path):
            raise Http404
    rows = selectors.run_counts_by_child(actor, run, parent)
    return [{"organisation": _org(r.organisation) if r.organisation else None, **r.counts} for r in rows]


@router.get(
    "/population/tasks",
    response={200: DataTaskPage, **problems(400, 404, 422)},
    operation_id="population_task_list",
    summary="Tasks of members in your scope (default: the open ones)",
)
def task_list(request: HttpRequest, query: Query[DataTaskQuery]) -> Any:
    actor = actor_of(request)
    organisation = (
        _scoped_org(actor, query.organisation, Action.VIEW_POPULATION_CHECK) if query.organisation else None
    )
    found = selectors.task_list(
        actor,
        organisation=organisation,
        status=query.status.value if query.status else TaskStatus.OPEN,
        reason=query.reason.value if query.reason else None,
    ).order_by("-pk")
    if query.cursor is not None:
        found = found.filter(pk__lt=int(query.cursor or 0) or 1)
    rows = list(found[: query.limit + 1])
    items = rows[: query.limit]
    return {
        "items": [_task(t) for t in items],
        "next_cursor": str(items[-1].pk) if len(rows) > query.limit else None,
    }


def _get_task(request: HttpRequest, task_id: int, action: Action) -> DataTask:
    task = selectors.task_get(actor_of(request), task_id, action)
    if task is None:
        raise Http404
    return task


@router.get(
    "/population/tasks/{task_id}",
    response={200: DataTaskOut, **problems(404, 422)},
    operation_id="population_task_get",
    summary="One task",
)
def task_get(request: HttpRequest, task_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return _task(_get_task(request, task_id, Action.VIEW_POPULATION_CHECK))


@router.post(
    "/population/tasks/{task_id}/correct",
    response={200: DataTaskOut, **problems(403, 404, 409, 422)},
    operation_id="population_task_correct",
    summary="Correct the member's record (the fields given) and close the task",
)
def task_correct(
    request: HttpRequest, payload: TaskCorrectIn, task_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    actor = actor_of(request)
    require_action(actor, Action.RESOLVE_DATA_TASK)
    task = _get_task(request, task_id, Action.RESOLVE_DATA_TASK)
    changes = payload.model_dump(exclude_none=True, exclude={"note"})
    if "gender" in changes:
        changes["gender"] = str(payload.gender.value)  # type: ignore[union-attr]
    done = services.task_correct(actor=actor, task=task, changes=changes, note=payload.note)
    return _task(selectors.task_get(actor, done.pk) or done)


@router.post(
    "/population/tasks/{task_id}/confirm",
    response={200: DataTaskOut, **problems(403, 404, 409, 422)},
    operation_id="population_task_confirm",
    summary="Confirm the member's record as it is, with a note, and close the task",
)
def task_confirm(
    request: HttpRequest, payload: TaskConfirmIn, task_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    actor = actor_of(request)
    require_action(actor, Action.RESOLVE_DATA_TASK)
    task = _get_task(request, task_id, Action.RESOLVE_DATA_TASK)
    done = services.task_confirm(actor=actor, task=task, note=payload.note)
    return _task(selectors.task_get(actor, done.pk) or done)
