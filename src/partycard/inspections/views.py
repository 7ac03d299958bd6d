"""The Inspection Commission's pages: the inspections in scope, the decision to inspect, an inspection with
its sample (each case linking to its exchange page), the finding on one case, the conclusion, the inspected
organisation's report on remedying, the closing, and the conclusion notice as a PDF.

Thin: parse, one selector or service call, render. Outside the actor's scope everything is the same 404 as
a missing record; a refused step says why, in the form it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action, allowed
from partycard.core.errors import DomainError
from partycard.core.scope import role_of
from partycard.inspections import documents, selectors, services
from partycard.inspections.choices import FindingKind
from partycard.inspections.forms import ConcludeForm, FindingForm, OpenForm, RespondForm, SampleForm
from partycard.inspections.models import Inspection
from partycard.inspections.workflow import State, Step
from partycard.registry.models import Organisation

__all__ = [
    "close",
    "conclude",
    "conclusion_pdf",
    "detail",
    "finding_page",
    "home",
    "open_page",
    "respond",
    "sample",
]


def _may(request: HttpRequest, action: Action) -> bool:
    return allowed(role_of(request.user) or "", action)


def _refuse_unless(request: HttpRequest, action: Action) -> None:
    """A role that may not do ``action`` anywhere sees the 404 of a missing page."""
    if not _may(request, action):
        raise Http404(_("No such record."))


def _into_form(form: forms.Form, error: Exception) -> None:
    """A service's refusal shown on the form it came from: on its field when the form has it."""
    if isinstance(error, DomainError):
        if error.http_status == 404 and error.field in (None, "case"):
            raise Http404(_("No such record.")) from error
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return
    assert isinstance(error, ValidationError)
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, problems in error.message_dict.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_INSPECTION)
    state = request.GET.get("trang_thai", "")
    context = {
        "inspections": selectors.inspection_list(request.user, state=state)[:200],
        "state": state,
        "states": Inspection._meta.get_field("state").choices,
        "can_open": _may(request, Action.CHANGE_INSPECTION),
    }
    return render(request, "inspections/home.html", context)


@login_required
def open_page(request: HttpRequest) -> HttpResponse:
    """The decision to inspect: the organisation (by its code), the campaign, the decision's number and
    date, the subject, the period inspected and the place of issue."""
    _refuse_unless(request, Action.CHANGE_INSPECTION)
    form = OpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organisation = (
            Organisation.objects.scoped(request.user, Action.CHANGE_INSPECTION)
            .filter(code=data["organisation_code"])
            .first()
        )
        if organisation is None:
            form.add_error("organisation_code", _("No organisation has this code in your scope."))
        else:
            try:
                inspection = services.inspection_open(
                    actor=request.user, organisation=organisation, campaign=data["campaign"],
                    number=data["number"], decided_on=data["decided_on"], subject=data["subject"],
                    period_start=data["period_start"], period_end=data["period_end"], place=data["place"],
                )  # fmt: skip
            except (DomainError, ValidationError) as e:
                if isinstance(e, DomainError) and e.field == "organisation":
                    form.add_error("organisation_code", e.message)
                else:
                    _into_form(form, e)
            else:
                messages.success(request, _("The inspection is opened: draw its sample of cases."))
                return redirect("inspections:detail", inspection_id=inspection.pk)
    return render(request, "inspections/open.html", {"form": form}, status=400 if form.errors else 200)


def _detail(
    request: HttpRequest, inspection: Inspection, status: int = 200, **forms_: forms.Form
) -> HttpResponse:
    steps = selectors.inspection_steps(request.user, inspection)
    rows = list(selectors.sample_rows(request.user, inspection))
    context = {
        "inspection": inspection,
        "rows": rows,
        "counts": [
            (label, n)
            for (value, label), n in zip(
                FindingKind.choices, selectors.finding_counts(request.user, inspection).values(), strict=True
            )
        ],
        "missing": sum(1 for r in rows if not hasattr(r, "finding")),
        "steps": {s.value for s in steps},
        "sample_form": forms_.get("sample_form") or SampleForm(),
        "conclude_form": forms_.get("conclude_form") or ConcludeForm(),
        "respond_form": forms_.get("respond_form") or RespondForm(),
        "has_conclusion": inspection.state in (State.CONCLUDED, State.RESPONDED, State.CLOSED),
    }
    return render(request, "inspections/detail.html", context, status=status)


@login_required
def detail(request: HttpRequest, inspection_id: int) -> HttpResponse:
    return _detail(request, selectors.inspection_get(request.user, inspection_id))


# The forms of the inspection's page, by the name ``_detail`` shows each under.
_PAGE_FORMS: dict[type[forms.Form], str] = {
    SampleForm: "sample_form",
    ConcludeForm: "conclude_form",
    RespondForm: "respond_form",
}


def _step_post(
    request: HttpRequest,
    inspection_id: int,
    form: forms.Form,
    service: Callable[..., Inspection],
    success: str | Callable[[Inspection], str],
    arguments: Callable[[Any], dict[str, Any]] | None = None,
) -> HttpResponse:
    """One step of the inspection's page posted with its form (one of ``_PAGE_FORMS``): ``service`` is
    called with the actor, the inspection and ``arguments`` of the valid form (default: its fields); done,
    back to the page with ``success``; refused, the page again (400) with the form and its errors."""
    inspection = selectors.inspection_get(request.user, inspection_id)
    if form.is_valid():
        try:
            kwargs = arguments(form) if arguments is not None else form.cleaned_data
            inspection = service(actor=request.user, inspection=inspection, **kwargs)
        except (DomainError, ValidationError) as e:
            _into_form(form, e)
        else:
            messages.success(request, success if isinstance(success, str) else success(inspection))
            return redirect("inspections:detail", inspection_id=inspection.pk)
    return _detail(request, inspection, 400, **{_PAGE_FORMS[type(form)]: form})


def _sample_arguments(form: SampleForm) -> dict[str, Any]:
    size, percent = form.amount()
    return {"size": size, "percent": percent, "stratified": form.cleaned_data["stratified"]}


@login_required
@require_POST
def sample(request: HttpRequest, inspection_id: int) -> HttpResponse:
    def drawn(inspection: Inspection) -> str:
        return _("%(n)s cases drawn for verification.") % {"n": _count(inspection.sample_size or 0)}

    form = SampleForm(request.POST)
    return _step_post(request, inspection_id, form, services.inspection_sample, drawn, _sample_arguments)


def _count(value: int) -> str:
    return number_format(value, force_grouping=True)


@login_required
def finding_page(request: HttpRequest, inspection_id: int, case_id: int) -> HttpResponse:
    """One sampled case: its member, cell and exchange case (linked), and the team's finding on it."""
    inspection = selectors.inspection_get(request.user, inspection_id)
    row = selectors.sample_get(request.user, inspection, case_id)
    finding = getattr(row, "finding", None)
    initial = {"kind": finding.kind, "note": finding.note} if finding else {}
    form = FindingForm(request.POST or None, initial=initial)
    can_record = Step.RECORD_FINDING in selectors.inspection_steps(request.user, inspection)
    if request.method == "POST":
        if not can_record and not _may(request, Action.CHANGE_INSPECTION):
            raise Http404(_("No such record."))
        if form.is_valid():
            try:
                services.finding_record(
                    actor=request.user, inspection=inspection, case=row.case,
                    kind=form.cleaned_data["kind"], note=form.cleaned_data["note"],
                )  # fmt: skip
            except (DomainError, ValidationError) as e:
                _into_form(form, e)
            else:
                messages.success(request, _("Finding recorded."))
                return redirect("inspections:detail", inspection_id=inspection.pk)
    context = {
        "inspection": inspection,
        "row": row,
        "finding": finding,
        "form": form,
        "can_record": can_record,
    }
    return render(request, "inspections/finding.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def conclude(request: HttpRequest, inspection_id: int) -> HttpResponse:
    issued = _("The conclusion is issued to the inspected organisation.")
    return _step_post(
        request, inspection_id, ConcludeForm(request.POST), services.inspection_conclude, issued
    )


@login_required
@require_POST
def respond(request: HttpRequest, inspection_id: int) -> HttpResponse:
    sent = _("The report on remedying is sent to the Inspection Commission.")
    return _step_post(request, inspection_id, RespondForm(request.POST), services.inspection_respond, sent)


@login_required
@require_POST
def close(request: HttpRequest, inspection_id: int) -> HttpResponse:
    inspection = selectors.inspection_get(request.user, inspection_id)
    try:
        services.inspection_close(actor=request.user, inspection=inspection)
    except DomainError as e:
        if e.http_status == 404:
            raise Http404(_("No such record.")) from e
        messages.error(request, e.message)
    else:
        messages.success(request, _("The inspection is closed."))
    return redirect("inspections:detail", inspection_id=inspection.pk)


@login_required
def conclusion_pdf(request: HttpRequest, inspection_id: int) -> HttpResponse:
    """The notice of the conclusion, once there is one."""
    inspection = selectors.inspection_get(request.user, inspection_id)
    if (
        inspection.state not in (State.CONCLUDED, State.RESPONDED, State.CLOSED)
        or inspection.concluded_at is None
    ):
        raise Http404(_("No such record."))
    rows = selectors.sample_rows(request.user, inspection)
    data = documents.ConclusionData(
        committee=inspection.commission.name,
        number=inspection.conclusion_number,
        place=inspection.place,
        issued_on=timezone.localdate(inspection.concluded_at),
        decision_number=inspection.number,
        decided_on=inspection.decided_on,
        inspected=inspection.organisation.name,
        subject=inspection.subject,
        period_start=inspection.period_start,
        period_end=inspection.period_end,
        population=inspection.population or 0,
        sampled=inspection.sample_size or 0,
        seed=inspection.sample_seed,
        stratified=inspection.stratified,
        counts=selectors.finding_counts(request.user, inspection),
        conclusion=inspection.conclusion,
        signer=_name(inspection.concluded_by),
        rows=[
            documents.FindingRow(
                r.position, r.case.member.full_name, r.cell.name, r.finding.kind, r.finding.note
            )
            for r in rows
            if hasattr(r, "finding") and r.finding.kind != FindingKind.CORRECT
        ],
    )
    response = HttpResponse(documents.conclusion_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="thong-bao-ket-luan-kiem-tra-{inspection.pk}.pdf"'
    return response


def _name(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or "").strip()
