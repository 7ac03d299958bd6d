"""The review pages under ``/ra-soat/``: choose a grassroots organisation or cell to hand out a workbook or
a paper form, bring a workbook back, see its proposal (per field: base, now in partycard, in the workbook)
and, for an officer who may, decide the conflicts and apply.

Thin: parse, one selector or service call, render. Outside the actor's scope everything is the same 404 as
a missing record; a refused workbook is listed with every reason, never a server error.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action, allowed
from partycard.core.errors import DomainError
from partycard.core.scope import get_scoped_or_404, role_of
from partycard.registry.importing import too_large
from partycard.registry.models import Organisation
from partycard.review import selectors, services
from partycard.review.errors import WorkbookProblems
from partycard.review.forms import UploadForm, decisions_from
from partycard.review.models import ReviewImport

__all__ = ["apply", "home", "paper", "proposal", "upload", "workbook"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_LISTED = 1000  # problems listed on the page, as the roster import lists them


def _may(request: HttpRequest, action: Action) -> bool:
    return allowed(role_of(request.user) or "", action)


def _refuse_unless(request: HttpRequest, action: Action) -> None:
    if not _may(request, action):
        raise Http404(_("No such record."))


def _home(
    request: HttpRequest, form: UploadForm | None = None, problems: Any = None, status: int = 200
) -> Any:
    query = request.GET.get("q", "").strip()[:100]
    may_export = _may(request, Action.EXPORT_REVIEW)
    context = {
        "organisations": selectors.reviewable_list(request.user, query=query) if may_export else [],
        "query": query,
        "imports": selectors.review_import_list(request.user),
        "form": form or UploadForm(),
        "problems": (problems or [])[:MAX_LISTED],  # the rest are counted (a page of 10,000 rows helps none)
        "problem_count": len(problems or []),
        "may_export": _may(request, Action.EXPORT_REVIEW),
        "may_import": _may(request, Action.IMPORT_REVIEW),
        "limit": services.max_members(),
    }
    return render(request, "review/home.html", context, status=status)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _refuse_unless(request, Action.IMPORT_REVIEW)
    return _home(request)


def _organisation(request: HttpRequest, code: str) -> Organisation:
    return get_scoped_or_404(Organisation, request.user, Action.EXPORT_REVIEW, code=code)


def _refused(request: HttpRequest, e: DomainError) -> HttpResponse:
    if e.http_status == 404:
        raise Http404(_("No such record.")) from e
    messages.error(request, e.message)
    return redirect("review:home")


@login_required
@require_POST
def workbook(request: HttpRequest, code: str) -> HttpResponse:
    _refuse_unless(request, Action.EXPORT_REVIEW)
    org = _organisation(request, code)
    try:
        export, content = services.review_export(actor=request.user, organisation=org)
    except DomainError as e:
        return _refused(request, e)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="ra-soat-{org.code}-{export.pk}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def paper(request: HttpRequest, code: str) -> HttpResponse:
    _refuse_unless(request, Action.EXPORT_REVIEW)
    org = _organisation(request, code)
    try:
        export, content = services.review_paper(actor=request.user, organisation=org)
    except DomainError as e:
        return _refused(request, e)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="phieu-ra-soat-{org.code}-{export.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    _refuse_unless(request, Action.IMPORT_REVIEW)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _home(request, form, status=400)
    uploaded = form.cleaned_data["file"]
    if uploaded.size > int(settings.PARTYCARD["IMPORT_MAX_BYTES"]):
        form.add_error("file", too_large(uploaded.size))
        return _home(request, form, status=400)
    try:
        review = services.review_import(actor=request.user, file=uploaded.read())
    except WorkbookProblems as e:
        return _home(request, form, problems=e.problems, status=400)
    except DomainError as e:
        # A workbook of an export outside the scope: the 404 of a missing one, said on the form.
        if e.http_status == 404:
            form.add_error("file", _("The workbook names no review export in your scope."))
            return _home(request, form, status=404)
        form.add_error("file", e.message)
        return _home(request, form, status=400)
    messages.success(request, _("The workbook was read: check the proposed changes below."))
    return redirect("review:proposal", review.pk)


@login_required
def proposal(request: HttpRequest, import_id: int) -> HttpResponse:
    _refuse_unless(request, Action.IMPORT_REVIEW)
    review = selectors.review_import_get(request.user, import_id)
    rows = selectors.proposal_rows(review)
    context = {
        "review": review,
        "rows": rows,
        "conflicts": [r for r in rows if r.outcome == "conflict"],
        "deleted": review.proposal.get("deleted", []),
        "missing": review.proposal.get("missing", []),
        "may_apply": _may(request, Action.APPLY_REVIEW) and review.status == ReviewImport.Status.PROPOSED,
    }
    return render(request, "review/proposal.html", context)


@login_required
@require_POST
def apply(request: HttpRequest, import_id: int) -> HttpResponse:
    _refuse_unless(request, Action.APPLY_REVIEW)
    review = selectors.review_import_get(request.user, import_id, Action.APPLY_REVIEW)
    try:
        count = services.review_apply(
            actor=request.user, review_import=review, decisions=decisions_from(request.POST)
        )
    except DomainError as e:
        if e.http_status == 404:
            raise Http404(_("No such record.")) from e
        messages.error(request, e.message)
    else:
        messages.success(request, _("Applied: %(count)d member record(s) changed.") % {"count": count})
    return redirect("review:proposal", review.pk)
