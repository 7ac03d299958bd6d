"""Routes of the party-database sync (issue 17); the same scope rules as its pages (``/dong-bo/``).

Officers with ``SYNC_MEMBER`` (bearer tokens): the runs in their scope, one run with its counts, its staged
rows by kind (keyset-paged by row number), decisions on its conflicts, and the start of its apply (a
background job, 202). A run outside the actor's scope is the 404 of a missing one; a role that may not
synchronise anywhere is a 403; a run not waiting for decisions or an apply is a 409; a decision that names
no conflict is a 422.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from partycard.accounts.roles import Action
from partycard.api.errors import ApiProblem
from partycard.api.schemas.partysync import MAX_ID, DecisionsIn, RowOut, RunOut
from partycard.api.schemas.problems import problems
from partycard.core.errors import DomainError, ErrorCode
from partycard.partysync import jobs, selectors, services
from partycard.registry.models import Organisation

__all__ = ["router"]

router = Router(tags=["partysync"])
"""Synchronisation with the Party's existing member database: preview runs, their rows, decisions, apply."""

_KINDS = "^(|added|changed|unchanged|conflict|key_conflict|bad)$"


def _actor(request: HttpRequest) -> Any:
    actor = request.auth.user  # type: ignore[attr-defined]
    if not Organisation.objects.scoped(actor, Action.SYNC_MEMBER).exists():
        raise ApiProblem(403, "Your role may not do this.", code=ErrorCode.FORBIDDEN)
    return actor


def _only(request: HttpRequest, *names: str) -> None:
    unknown = sorted(set(request.GET) - set(names))
    if unknown:
        raise DomainError(f"Unknown query parameter: {unknown[0]}.", field=unknown[0][:50])


@router.get(
    "/sync/runs",
    response={200: list[RunOut], **problems(403, 422)},
    operation_id="sync_run_list",
    summary="Synchronisation runs of organisations in your scope, newest first",
)
def run_list(request: HttpRequest, limit: int = Query(100, ge=1, le=500)) -> Any:
    _only(request, "limit")
    return list(selectors.run_list(_actor(request))[:limit])


@router.get(
    "/sync/runs/{run_id}",
    response={200: RunOut, **problems(403, 404, 422)},
    operation_id="sync_run_get",
    summary="One run: its status and counts (added, changed, unchanged, conflicts, bad, missing)",
)
def run_get(request: HttpRequest, run_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return selectors.run_get(_actor(request), run_id)


@router.get(
    "/sync/runs/{run_id}/rows",
    response={200: list[RowOut], **problems(403, 404, 422)},
    operation_id="sync_run_rows",
    summary="A run's preview: its rows with their per-field changes, by kind, after a row number",
)
def run_rows(
    request: HttpRequest,
    run_id: int = Path(..., ge=1, le=MAX_ID),
    kind: str = Query("", pattern=_KINDS),
    after: int = Query(0, ge=0, le=MAX_ID),
    limit: int = Query(100, ge=1, le=500),
) -> Any:
    _only(request, "kind", "after", "limit")
    run = selectors.run_get(_actor(request), run_id)
    rows = selectors.run_rows(run, kinds=[kind] if kind else []).filter(number__gt=after)
    return list(rows[:limit])


@router.post(
    "/sync/runs/{run_id}/decisions",
    response={200: RunOut, **problems(403, 404, 409, 422)},
    operation_id="sync_run_decide",
    summary="Decide conflicts: keep partycard's value (ours) or take the party database's (theirs)",
)
def run_decide(request: HttpRequest, payload: DecisionsIn, run_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    actor = _actor(request)
    run = selectors.run_get(actor, run_id)
    services.sync_decide(actor=actor, run=run, decisions=payload.decisions)
    return selectors.run_get(actor, run_id)


@router.post(
    "/sync/runs/{run_id}/apply",
    response={202: RunOut, **problems(403, 404, 409, 422, 429)},
    operation_id="sync_run_apply",
    summary="Apply a previewed run in one transaction (a background job: follow apply_job)",
)
def run_apply(request: HttpRequest, run_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    actor = _actor(request)
    run = selectors.run_get(actor, run_id)
    jobs.start_apply(actor=actor, run=run)
    return Status(202, selectors.run_get(actor, run_id))
