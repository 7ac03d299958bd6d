"""The member list (filters, accent-insensitive search by words, numbered pages), detail, create and edit
(the export: ``exporting.py``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action, allowed
from partycard.core import clock
from partycard.core.db_router import replica_reads
from partycard.core.scope import get_scoped_or_404, role_of
from partycard.registry import selectors, services
from partycard.registry.choices import Gender, MemberStatus
from partycard.registry.forms import MemberForm
from partycard.registry.models import Member, Organisation
from partycard.registry.panels import member_panels_render

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> tuple[selectors.MemberFilters, list[str]]:
    """The list filters from the query string; unknown values are dropped with a message, not a 500."""
    get = request.GET
    problems: list[str] = []
    status = get.get("status", "")
    gender = get.get("gender", "")
    band = get.get("age_band", "")
    if status and status not in MemberStatus.values:
        problems.append(_("Unknown status; showing every status."))
        status = ""
    if gender and gender not in Gender.values:
        gender = ""
    if band and band not in selectors.AGE_BANDS:
        band = ""
    org = None
    code = get.get("organisation", "").strip().upper()
    if code:
        org = Organisation.objects.scoped(request.user, Action.SEARCH_MEMBER).filter(code=code).first()
        if org is None:
            problems.append(_("No organisation in your scope has code '%(code)s'.") % {"code": code})
    filters = selectors.MemberFilters(
        q=get.get("q", "").strip()[:100], organisation=org, status=status, gender=gender, age_band=band
    )
    return filters, problems


@login_required
@replica_reads()
def member_list_page(request: HttpRequest) -> HttpResponse:
    """One page of the list (``?page=N``, 50 members) with the number of matches and page links. Any page
    costs about what the first costs (``selectors.member_page``). An htmx request gets the results only."""
    filters, problems = _filters(request)
    number = _page_number(request.GET.get("page", ""))
    result = selectors.member_page(request.user, filters, page=number, per_page=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("after", None)  # the keyset cursor of the list before page numbers

    def link(n: int) -> str:
        query["page"] = str(n)
        return query.urlencode()

    role = role_of(request.user) or ""
    context: dict[str, Any] = {
        "filters": filters,
        "organisation_code": request.GET.get("organisation", ""),
        "members": result.members,
        "result": result,
        "count_cap": selectors.COUNT_CAP,
        "pages": [
            (n, link(n)) if n else (None, "") for n in _page_numbers(number, max(number, result.pages))
        ],
        "first_query": link(1) if number > 1 else None,
        "previous_query": link(number - 1) if number > 1 else None,
        "next_query": link(number + 1) if result.has_next else None,
        "problems": problems,
        "statuses": MemberStatus.choices,
        "genders": Gender.choices,
        "age_bands": list(selectors.AGE_BANDS),
        "can_add": allowed(role, Action.ADD_MEMBER),
        "can_export": allowed(role, Action.EXPORT_MEMBER),
        "today": clock.today(),
    }
    template = (
        "registry/_member_results.html" if request.headers.get("HX-Request") else "registry/member_list.html"
    )
    return render(request, template, context)


# Pages beyond this are refused as a page number (1,000 pages of 50 is five times the exact count's reach).
MAX_PAGE = 1000


def _page_number(raw: str) -> int:
    """``?page=`` as a page number from 1 to ``MAX_PAGE``; anything else is page 1."""
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else 1


def _page_numbers(current: int, last: int) -> list[int]:
    """The page links: the first, the last, and two either side of the current page; 0 marks a gap."""
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    numbers: list[int] = []
    for n in shown:
        if numbers and n > numbers[-1] + 1:
            numbers.append(0)
        numbers.append(n)
    return numbers


@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The member's record and history, and the panels the apps above the registry add (``panels.py``),
    with a way back to the member list as the officer left it (its filters, its page)."""
    member = get_scoped_or_404(Member, request.user, Action.VIEW_MEMBER, pk=pk)
    can_edit = Member.objects.scoped(request.user, Action.CHANGE_MEMBER).filter(pk=pk).exists()
    context = {
        "member": member,
        "timeline": selectors.member_timeline(member),
        "can_edit": can_edit,
        "panels": member_panels_render(request, member),
        "back_url": _back_to_list(request),
    }
    return render(request, "registry/member_detail.html", context)


def _back_to_list(request: HttpRequest) -> str:
    """The member list with the filters the officer had: ``next`` (the list's links pass it), else the page
    they came from (``Referer``), when either is the list on this site; otherwise the list unfiltered."""
    plain = reverse("registry:member_list")
    for candidate in (request.GET.get("next", ""), request.META.get("HTTP_REFERER", "")):
        parts = urlsplit(candidate)
        same_site = not parts.netloc or parts.netloc == request.get_host()
        if (
            parts.path == plain
            and same_site
            and url_has_allowed_host_and_scheme(
                candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
        ):
            return f"{plain}?{parts.query}" if parts.query else plain
    return plain


@login_required
def member_create(request: HttpRequest) -> HttpResponse:
    if not Organisation.objects.scoped(request.user, Action.ADD_MEMBER).exists():
        raise Http404(_("No such record."))
    initial = {"organisation_code": request.GET.get("organisation", "")}
    form = MemberForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        data["organisation"] = form.instance.organisation
        try:
            member = services.member_create(actor=request.user, data=data)
        except ValidationError as e:
            form.add_service_errors(e)
        else:
            messages.success(request, _("The member record was created."))
            return redirect("registry:member_detail", pk=member.pk)
    return render(request, "registry/member_form.html", {"form": form, "member": None})


@login_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_scoped_or_404(Member, request.user, Action.CHANGE_MEMBER, pk=pk)
    form = MemberForm(request.POST or None, instance=member, actor=request.user)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, _("Nothing was changed."))
            return redirect("registry:member_detail", pk=pk)
        fresh = Member.objects.get(pk=pk)  # the form's instance holds the typed values; the service the saved
        try:
            services.member_update(
                actor=request.user, member=fresh, changes=changes, reason=form.cleaned_data.get("reason", "")
            )
        except ValidationError as e:
            form.add_service_errors(e)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("registry:member_detail", pk=pk)
    original = Member.objects.get(pk=pk)
    return render(request, "registry/member_form.html", {"form": form, "member": original})
