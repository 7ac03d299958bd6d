"""The lost or damaged card pages: each level's queue with the forms to download, the report filed by the
cell for a member (with the two photos), a report with its history, photos and the step the viewer may
take, the forms as PDF, and the recovery of ended members' cards.

Thin: parse, one selector or service call, render. Outside the actor's scope everything is the same 404 as
a missing record; a refused step says why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action, allowed
from partycard.core.errors import DomainError
from partycard.core.scope import get_scoped_or_404, role_of
from partycard.losses import documents, selectors, services
from partycard.losses.choices import STATE_CHOICES
from partycard.losses.forms import DecideForm, RecoveryForm, RefuseForm, ReportForm, StepForm
from partycard.losses.photos import MAX_BYTES
from partycard.losses.workflow import Form, Step
from partycard.registry.choices import MemberStatus
from partycard.registry.models import Member, Organisation

__all__ = ["detail", "form_pdf", "home", "photo", "recoveries", "recovery_page", "report_page", "step"]


def _refuse_unless(request: HttpRequest, action: Action) -> None:
    if not allowed(role_of(request.user) or "", action):
        raise Http404(_("No such record."))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_LOSS)
    actor, state = request.user, request.GET.get("trang_thai", "")
    reports = list(selectors.loss_list(actor, state=state)[:200])
    query = request.GET.get("q", "").strip()
    found: list[Member] = []
    if query and allowed(role_of(actor) or "", Action.REPORT_LOSS):
        found = list(
            Member.objects.scoped(actor, Action.REPORT_LOSS)
            .filter(full_name__icontains=query)
            .select_related("organisation")
            .order_by("full_name", "pk")[:20]
        )
    context = {
        "rows": selectors.loss_queue(actor, reports),
        "state": state,
        "states": STATE_CHOICES,
        "groups": selectors.form_groups(actor),
        "query": query,
        "found": found,
        "may_report": allowed(role_of(actor) or "", Action.REPORT_LOSS),
        "may_recover": allowed(role_of(actor) or "", Action.CHANGE_LOSS),
    }
    return render(request, "losses/home.html", context)


@login_required
def report_page(request: HttpRequest, member_id: int) -> HttpResponse:
    _refuse_unless(request, Action.REPORT_LOSS)
    member = get_scoped_or_404(Member, request.user, Action.REPORT_LOSS, pk=member_id)
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        photos = [f.read(MAX_BYTES + 1) for f in request.FILES.getlist("photos")]
        try:
            report = services.loss_report(
                actor=request.user, member=member, kind=form.cleaned_data["kind"],
                circumstances=form.cleaned_data["circumstances"], photos=photos,
                good_reason=form.cleaned_data["good_reason"],
            )  # fmt: skip
        except DomainError as e:
            if e.http_status == 404:
                raise Http404(_("No such record.")) from e
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, _("The card is reported and suspended at once."))
            return redirect("losses:detail", report.pk)
    return render(request, "losses/report.html", {"member": member, "form": form})


@login_required
def detail(request: HttpRequest, report_id: int) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_LOSS)
    report = selectors.loss_get(request.user, report_id)
    context = {
        "report": report,
        "steps": [s.value for s in selectors.loss_steps(request.user, report)],
        "events": report.events.select_related("actor", "organisation").order_by("at", "pk"),
        "photos": report.photos.only("id", "width", "height").order_by("pk"),
        "step_form": StepForm(),
        "decide_form": DecideForm(),
        "refuse_form": RefuseForm(),
    }
    return render(request, "losses/detail.html", context)


@login_required
@require_POST
def step(request: HttpRequest, report_id: int, step: str) -> HttpResponse:
    _refuse_unless(request, Action.CHANGE_LOSS)
    report = selectors.loss_get(request.user, report_id, Action.CHANGE_LOSS)
    if step not in {s.value for s in Step} or step == Step.REPORT:
        raise Http404(_("No such record."))
    good = StepForm(request.POST)
    good_reason = good.cleaned_data.get("good_reason") if good.is_valid() else None
    try:
        services.loss_step(
            actor=request.user, report=report, step=step, reason=request.POST.get("reason", ""),
            good_reason=good_reason, decision_number=request.POST.get("decision_number", ""),
        )  # fmt: skip
    except DomainError as e:
        if e.http_status == 404:
            raise Http404(_("No such record.")) from e
        messages.error(request, e.message)
    else:
        messages.success(request, _("Done."))
    return redirect("losses:detail", report.pk)


@login_required
def photo(request: HttpRequest, report_id: int, photo_id: int) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_LOSS)
    found = selectors.loss_photo(request.user, selectors.loss_get(request.user, report_id), photo_id)
    response = HttpResponse(bytes(found.content), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def form_pdf(request: HttpRequest, form: str) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_LOSS)
    try:
        chosen = Form(form)
        day = dt.date.fromisoformat(request.GET.get("ngay", ""))
    except ValueError as e:
        raise Http404(_("No such record.")) from e
    code = request.GET.get("to_chuc", "")
    org = get_scoped_or_404(Organisation, request.user, Action.VIEW_LOSS, code=code) if code else None
    org = org or getattr(request.user, "organisation", None)
    if org is None:
        raise Http404(_("No such record."))
    data = selectors.form_data(request.user, chosen, org, day, request.GET.get("noi", "")[:100])
    response = HttpResponse(documents.form_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{chosen.value}-{day.isoformat()}.pdf"'
    return response


@login_required
def recoveries(request: HttpRequest) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_LOSS)
    context: dict[str, Any] = {
        "waiting": selectors.recovery_waiting(request.user)[:200],
        "recorded": selectors.recovery_list(request.user)[:200],
    }
    return render(request, "losses/recoveries.html", context)


@login_required
def recovery_page(request: HttpRequest, member_id: int) -> HttpResponse:
    _refuse_unless(request, Action.CHANGE_LOSS)
    member = get_scoped_or_404(Member, request.user, Action.CHANGE_LOSS, pk=member_id)
    cards = list(selectors.recoverable_cards(member))
    form = RecoveryForm(request.POST or None)
    form.fields["card"].choices = [(c.number, c.number) for c in cards]  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        card = next(c for c in cards if c.number == form.cleaned_data["card"])
        try:
            services.recovery_record(
                actor=request.user, member=member, card=card, note=form.cleaned_data["note"]
            )
        except DomainError as e:
            if e.http_status == 404:
                raise Http404(_("No such record.")) from e
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Recorded."))
            return redirect("losses:recovery", member.pk)
    context = {
        "member": member,
        "cards": cards,
        "form": form,
        "outcome": services.ENDING_OUTCOME.get(MemberStatus(member.status)),
        "recorded": selectors.recovery_list(request.user, member),
    }
    return render(request, "losses/recovery.html", context)
