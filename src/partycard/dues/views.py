"""The dues pages (``/dang-phi/``): the statistics of an organisation's children for a month, a cell's
month (its members, the bulk record of payments, the declarations to confirm or refuse), and the month as
.xlsx.

Thin: parse, one selector or service call, render. Outside the actor's scope everything is the same 404 as
a missing record; a refused write says why, on the page it came from.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action, allowed
from partycard.core import clock
from partycard.core.errors import DomainError
from partycard.core.scope import role_of
from partycard.dues import documents, selectors, services
from partycard.dues.forms import RecordForm, RefuseForm
from partycard.dues.guidance import guidance
from partycard.dues.months import month_key, month_label, month_parse, month_shift, month_start
from partycard.registry.models import Organisation
from partycard.registry.selectors import scope_root

__all__ = ["confirm", "home", "month_page", "month_xlsx", "refuse"]


def _may(request: HttpRequest, action: Action) -> bool:
    return allowed(role_of(request.user) or "", action)


def _refuse_unless(request: HttpRequest, action: Action) -> None:
    """A role that may not do ``action`` anywhere (a member: their dues are in their app) sees a 404."""
    if not _may(request, action) or getattr(request.user, "role", "") == "member":
        raise Http404(_("No such record."))


def _up(request: HttpRequest, org: Organisation) -> str:
    """The code of ``org``'s parent when the actor may see its dues (no link that would be a 404), else ""."""
    if org.parent_id is None:
        return ""
    parent = Organisation.objects.scoped(request.user, Action.VIEW_PAYMENT).filter(pk=org.parent_id).first()
    return parent.code if parent is not None else ""


def _month(text: str) -> dt.date:
    month = month_parse(text)
    if month is None:
        raise Http404(_("No such record."))
    return month


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """An organisation's dues for a month and its children's (``?to_chuc=CODE&thang=MM/YYYY``)."""
    _refuse_unless(request, Action.VIEW_PAYMENT)
    this_month = month_start(clock.today())
    month = month_parse(request.GET.get("thang", "")) or this_month
    code = request.GET.get("to_chuc", "").strip().upper()
    if code:
        root = Organisation.objects.scoped(request.user, Action.VIEW_PAYMENT).filter(code=code).first()
    else:
        root = scope_root(request.user, Action.VIEW_PAYMENT)
    if root is None:
        raise Http404(_("No such record."))
    if root.holds_members:
        return redirect("dues:month", code=root.code, month=month_key(month))
    total, children = selectors.dues_summary(request.user, root, month)
    context = {
        "root": root,
        "month": month,
        "month_key": month_key(month),
        "month_label": month_label(month),
        "previous": month_label(month_shift(month, -1)),
        "next": month_label(month_shift(month, 1)) if month < this_month else "",
        "total": total,
        "children": children,
        "closed": selectors.month_closed(month),
        "parent_code": _up(request, root),
    }
    return render(request, "dues/home.html", context)


def _render_month(
    request: HttpRequest,
    cell: Organisation,
    month: dt.date,
    form: RecordForm | None = None,
    status: int = 200,
) -> HttpResponse:
    sheet = selectors.cell_month(request.user, cell, month)
    can_change = bool(
        _may(request, Action.CHANGE_PAYMENT)
        and Organisation.objects.scoped(request.user, Action.CHANGE_PAYMENT).filter(pk=cell.pk).exists()
    )
    this_month = month_start(clock.today())
    context = {
        "cell": cell,
        "month": month,
        "month_label": month_label(month),
        "month_key": month_key(month),
        "previous": month_key(month_shift(month, -1)),
        "next": month_key(month_shift(month, 1)) if month < this_month else "",
        "sheet": sheet,
        "form": form,
        "can_change": can_change and month <= this_month,
        "guidance": [line.text() for line in guidance()],
        "closed": selectors.month_closed(month),
        "refuse_form": RefuseForm(),
        "parent_code": _up(request, cell),
    }
    return render(request, "dues/month.html", context, status=status)


@login_required
def month_page(request: HttpRequest, code: str, month: str) -> HttpResponse:
    """A cell's month: GET lists its members with their payments; POST records the ticked ones."""
    _refuse_unless(request, Action.VIEW_PAYMENT)
    the_month = _month(month)
    cell = selectors.cell_get(request.user, code)
    if request.method != "POST":
        return _render_month(request, cell, the_month)
    cell = selectors.cell_get(request.user, code, Action.CHANGE_PAYMENT)
    sheet = selectors.cell_month(request.user, cell, the_month)
    form = RecordForm(
        request.POST, member_ids=[r.member.pk for r in sheet.rows if r.member.organisation_id == cell.pk]
    )
    if form.is_valid():
        try:
            written = services.payments_record(
                actor=request.user, cell=cell, month=the_month, amounts=form.cleaned_data["amounts"],
                note=form.cleaned_data["note"],
            )  # fmt: skip
        except (DomainError, ValidationError) as e:
            if isinstance(e, DomainError) and e.http_status == 404:
                raise Http404(_("No such record.")) from e
            form.add_error(None, e.message if isinstance(e, DomainError) else "; ".join(e.messages))
        else:
            messages.success(
                request, _("Recorded the dues of %(n)s members for %(month)s.")
                % {"n": len(written), "month": month_label(the_month)},
            )  # fmt: skip
            return redirect("dues:month", code=cell.code, month=month_key(the_month))
    return _render_month(request, cell, the_month, form, status=400)


@login_required
def month_xlsx(request: HttpRequest, code: str, month: str) -> HttpResponse:
    """The cell's month as .xlsx (values only), made inline: a cell is small."""
    _refuse_unless(request, Action.VIEW_PAYMENT)
    the_month = _month(month)
    cell = selectors.cell_get(request.user, code)
    sheet = selectors.cell_month(request.user, cell, the_month)
    rows = []
    for r in sheet.rows:
        p = r.payment
        who, when = "", None
        if p is not None:
            user = p.confirmed_by or p.refused_by or p.recorded_by or p.declared_by
            who = (user.get_full_name() or user.username) if user else ""
            stamp = p.confirmed_at or p.refused_at or p.recorded_at or p.declared_at
            when = timezone.localtime(stamp).date() if stamp else None
        status = p.get_status_display() if p is not None else (_("Not paid") if r.owes else _("Does not owe"))
        note = (p.refusal_reason or p.note) if p is not None else ""
        rows.append(
            (
                r.member.full_name,
                r.member.date_of_birth,
                p.amount if p else None,
                str(status),
                who,
                when,
                note,
                r.paid,
            )
        )
    body = documents.month_xlsx(cell_name=cell.name, month=the_month, rows=rows, made_on=clock.today())
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="dang-phi-{cell.code}-{month_key(the_month)}.xlsx"'
    )
    return response


def _back(payment_id: int, request: HttpRequest) -> HttpResponse:
    payment = selectors.payment_get(request.user, payment_id)
    return redirect("dues:month", code=payment.cell.code, month=month_key(payment.month))


@login_required
@require_POST
def confirm(request: HttpRequest, payment_id: int) -> HttpResponse:
    _refuse_unless(request, Action.CHANGE_PAYMENT)
    payment = selectors.payment_get(request.user, payment_id, Action.CHANGE_PAYMENT)
    try:
        services.payment_confirm(actor=request.user, payment=payment)
    except DomainError as e:
        if e.http_status == 404:
            raise Http404(_("No such record.")) from e
        messages.error(request, e.message)
    else:
        messages.success(request, _("The declared payment is confirmed."))
    return _back(payment_id, request)


@login_required
@require_POST
def refuse(request: HttpRequest, payment_id: int) -> HttpResponse:
    _refuse_unless(request, Action.CHANGE_PAYMENT)
    payment = selectors.payment_get(request.user, payment_id, Action.CHANGE_PAYMENT)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the declared payment is refused."))
        return _back(payment_id, request)
    try:
        services.payment_refuse(actor=request.user, payment=payment, reason=form.cleaned_data["reason"])
    except (DomainError, ValidationError) as e:
        if isinstance(e, DomainError) and e.http_status == 404:
            raise Http404(_("No such record.")) from e
        messages.error(request, e.message if isinstance(e, DomainError) else "; ".join(e.messages))
    else:
        messages.success(request, _("The declared payment is refused."))
    return _back(payment_id, request)
