"""Routes of the offline review (issue 17); the same scope rules as its pages (``/ra-soat/``).

``POST review/organisations/{code}/workbook`` and ``…/paper`` hand out the workbook (.xlsx) or the paper
form (PDF) of a grassroots organisation or cell; ``POST review/imports`` takes a workbook back (multipart
``file``) and answers the proposal (201), or a 422 listing every problem (``errors``: field
``"<sheet>:<row>:<column>"``, reason); ``GET review/imports/{import_id}`` reads a proposal;
``POST review/imports/{import_id}/apply`` applies it with the conflicts' decisions. Outside the actor's
scope: the 404 of a missing record; a role that may not do it anywhere: 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import File, Path, Router, Status
from ninja.files import UploadedFile

from partycard.accounts.roles import Action
from partycard.api.problems import problem_response
from partycard.api.routers.access import actor_of, require_action
from partycard.api.schemas.problems import problems
from partycard.api.schemas.review import MAX_ID, ReviewApplyIn, ReviewApplyOut, ReviewImportOut
from partycard.core.errors import ErrorCode
from partycard.core.scope import get_scoped_or_404
from partycard.registry.importing import too_large
from partycard.registry.models import Organisation
from partycard.review import selectors, services
from partycard.review.errors import WorkbookProblems
from partycard.review.models import ReviewImport

__all__ = ["router"]

router = Router(tags=["review"])
"""Offline review of member data for remote cells: workbooks and paper forms handed out, workbooks brought
back as proposals (a three-way merge per field), applied by an officer."""

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(media: str, what: str) -> dict[str, Any]:
    return {
        "responses": {
            200: {"description": what, "content": {media: {"schema": {"type": "string", "format": "binary"}}}}
        }
    }


def _out(review: ReviewImport) -> dict[str, Any]:
    rows = selectors.proposal_rows(review)
    changes = review.proposal.get("changes", [])
    return {
        "id": review.pk,
        "organisation": review.organisation.code,
        "export": review.export_id,
        "imported_by": review.imported_by_name,
        "imported_at": review.imported_at,
        "status": review.status,
        "change_count": review.change_count,
        "conflict_count": review.conflict_count,
        "changes": [{**c, "key": r.key} for c, r in zip(changes, rows, strict=True)],
        "deleted_upstream": review.proposal.get("deleted", []),
        "missing": review.proposal.get("missing", []),
        "applied_by": review.applied_by_name,
        "applied_at": review.applied_at,
        "applied_count": review.applied_count,
    }


@router.post(
    "/review/organisations/{code}/workbook",
    response={**problems(403, 404, 409, 422)},
    openapi_extra=_file(_XLSX, "The review workbook (.xlsx)"),
    operation_id="review_workbook",
    summary="Hand out the review workbook of a grassroots organisation or cell (one sheet per cell)",
)
def review_workbook(request: HttpRequest, code: str = Path(..., pattern=r"^[A-Z0-9][A-Z0-9-]{0,19}$")) -> Any:
    actor = actor_of(request)
    require_action(actor, Action.EXPORT_REVIEW)
    org = get_scoped_or_404(Organisation, actor, Action.EXPORT_REVIEW, code=code)
    export, content = services.review_export(actor=actor, organisation=org)
    response = HttpResponse(content, content_type=_XLSX)
    response["Content-Disposition"] = f'attachment; filename="ra-soat-{org.code}-{export.pk}.xlsx"'
    return response


@router.post(
    "/review/organisations/{code}/paper",
    response={**problems(403, 404, 409, 422)},
    openapi_extra=_file("application/pdf", "The paper review form (PDF)"),
    operation_id="review_paper",
    summary="Hand out the paper review form of a grassroots organisation or cell (PDF)",
)
def review_paper(request: HttpRequest, code: str = Path(..., pattern=r"^[A-Z0-9][A-Z0-9-]{0,19}$")) -> Any:
    actor = actor_of(request)
    require_action(actor, Action.EXPORT_REVIEW)
    org = get_scoped_or_404(Organisation, actor, Action.EXPORT_REVIEW, code=code)
    export, content = services.review_paper(actor=actor, organisation=org)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="phieu-ra-soat-{org.code}-{export.pk}.pdf"'
    return response


@router.post(
    "/review/imports",
    response={201: ReviewImportOut, **problems(403, 404, 413, 422)},
    operation_id="review_import",
    summary="Bring a review workbook back: the proposal (nothing is applied)",
)
def review_import(request: HttpRequest, file: File[UploadedFile]) -> Any:
    actor = actor_of(request)
    require_action(actor, Action.IMPORT_REVIEW)
    if (file.size or 0) > int(settings.PARTYCARD["IMPORT_MAX_BYTES"]):
        return problem_response(413, too_large(file.size or 0), code=ErrorCode.TOO_LARGE)
    try:
        review = services.review_import(actor=actor, file=file.read())
    except WorkbookProblems as e:
        return problem_response(
            422, e.message, code=ErrorCode.INVALID, title="Validation failed",
            errors=[(f"{p.sheet}:{p.row}:{p.column}", p.message) for p in e.problems],
        )  # fmt: skip
    return Status(201, _out(review))


@router.get(
    "/review/imports/{import_id}",
    response={200: ReviewImportOut, **problems(404, 422)},
    operation_id="review_import_get",
    summary="A proposal: each field's base, current and returned value, and the merge's outcome",
)
def review_import_get(request: HttpRequest, import_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return _out(selectors.review_import_get(actor_of(request), import_id))


@router.post(
    "/review/imports/{import_id}/apply",
    response={200: ReviewApplyOut, **problems(403, 404, 409, 422)},
    operation_id="review_apply",
    summary="Apply a proposal, each conflict decided (ours: keep partycard's value; theirs: the workbook's)",
)
def review_apply(
    request: HttpRequest, payload: ReviewApplyIn, import_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    actor = actor_of(request)
    require_action(actor, Action.APPLY_REVIEW)
    review = selectors.review_import_get(actor, import_id, Action.APPLY_REVIEW)
    count = services.review_apply(actor=actor, review_import=review, decisions=dict(payload.decisions))
    return {"applied": count, "status": ReviewImport.Status.APPLIED}
