"""The completeness report's pages (``/bao-cao/day-du-du-lieu/``): an organisation's figures with the way
down to each organisation under it, the members lacking one item, and the .xlsx export.

Thin: parse, the scoped selectors, render. An organisation outside the actor's subtree is ``OutOfScope``,
which the request guard turns into the same 404 as a missing one.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action
from partycard.core import clock
from partycard.core.db_router import replica_reads
from partycard.core.scope import actor_may
from partycard.reports import completeness as selectors
from partycard.reports.completeness_export import completeness_export

__all__ = ["completeness", "completeness_download", "completeness_list"]

PER_PAGE = 100


def _refuse_unless_reader(request: HttpRequest) -> None:
    if not actor_may(request.user, Action.VIEW_REPORT):
        raise Http404(_("No such record."))


def _crumbs(request: HttpRequest, code: str) -> list[tuple[str, str, str]]:
    return [
        (c, name, reverse("reports:completeness_detail", kwargs={"code": c}))
        for c, name in selectors.completeness_breadcrumbs(request.user, code=code)
    ]


@login_required
@replica_reads()
def completeness(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """The figures of ``code`` (None: the actor's own organisation) and of each organisation under it."""
    _refuse_unless_reader(request)
    org, children = selectors.completeness_report(request.user, code=code.strip().upper() if code else None)
    problems = [(p.value, selectors.PROBLEM_LABELS[p]) for p in selectors.Problem]
    context = {
        "org": org,
        "children": children,
        "problems": problems,
        "rows": [(row, [(p, row.count(p)) for p, _label in problems]) for row in [org, *children]],
        "crumbs": _crumbs(request, org.code),
        "day": clock.today(),
    }
    return render(request, "reports/completeness.html", context)


@login_required
@replica_reads()
def completeness_list(request: HttpRequest, code: str, problem: str) -> HttpResponse:
    """The members of ``code``'s subtree lacking ``problem``, by cell and name, a page at a time."""
    _refuse_unless_reader(request)
    if problem not in selectors.Problem.__members__.values():
        raise Http404(_("No such record."))
    chosen = selectors.Problem(problem)
    code = code.strip().upper()
    org = selectors.completeness_get(request.user, code=code)
    members = selectors.completeness_members(request.user, code=org.code, problem=chosen)
    page = Paginator(members, PER_PAGE).get_page(request.GET.get("trang"))
    context = {
        "org": org,
        "problem": chosen,
        "label": selectors.PROBLEM_LABELS[chosen],
        "page": page,
        "crumbs": _crumbs(request, org.code),
    }
    return render(request, "reports/completeness_list.html", context)


@login_required
@require_POST
def completeness_download(request: HttpRequest, code: str) -> HttpResponse:
    """The report as .xlsx (values only), its export audited."""
    _refuse_unless_reader(request)
    done = completeness_export(actor=request.user, code=code.strip().upper())
    response = HttpResponse(done.content, content_type=done.content_type)
    response["Content-Disposition"] = f'attachment; filename="{done.filename}"'
    return response
