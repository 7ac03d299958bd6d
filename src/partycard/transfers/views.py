"""The transfer pages: the list (both sides), the draft, one transfer with its steps, its letter and the
buttons of the actor's side, the receiving cell's confirmation with the e-card scanner, and the check of a
letter's signature. Thin: parse, one selector or service call, render; outside the scope the same 404 as a
missing record, and a refused step says why.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action, allowed
from partycard.core import clock
from partycard.core.errors import DomainError
from partycard.core.scope import role_of
from partycard.registry.models import Member, Organisation
from partycard.registry.panels import PanelContent
from partycard.transfers import selectors, services
from partycard.transfers.choices import STATE_CHOICES, Kind
from partycard.transfers.forms import CreateForm, LetterCheckForm, ReasonForm, ReceiveForm
from partycard.transfers.letter import letter_verify, root_certificate
from partycard.transfers.models import Transfer
from partycard.transfers.workflow import Side, State, Step

__all__ = [
    "PANEL_ORDER",
    "cancel",
    "complete",
    "create",
    "detail",
    "home",
    "issue",
    "letter_check",
    "letter_pdf",
    "letter_signature",
    "member_transfers_panel",
    "receive",
    "refuse",
]

PANEL_ORDER = 300
_NONCE = "transfers.receive_nonce"


def _may(request: HttpRequest, action: Action) -> bool:
    return allowed(role_of(request.user) or "", action)


def _refuse_unless(request: HttpRequest, action: Action) -> None:
    if not _may(request, action):
        raise Http404(_("No such record."))


def _into_form(form: forms.Form, error: DomainError | ValidationError) -> None:
    if isinstance(error, DomainError):
        if error.http_status == 404:
            raise Http404(_("No such record.")) from error
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return
    for field, problems in getattr(error, "message_dict", {None: error.messages}).items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_TRANSFER)
    filters = {
        "state": request.GET.get("trang_thai", ""),
        "kind": request.GET.get("loai", ""),
        "side": request.GET.get("ben", ""),
        "q": request.GET.get("q", "")[:100],
    }
    context = {
        "transfers": selectors.transfer_list(request.user, **filters)[:200],
        "filters": filters,
        "states": STATE_CHOICES,
        "kinds": Kind.choices,
        "today": clock.today(),
        "can_create": _may(request, Action.CHANGE_TRANSFER),
    }
    return render(request, "transfers/home.html", context)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """The draft: the member (from their page, or by record number), the kind, the receiving cell by its
    code, the decision's date and the reason."""
    _refuse_unless(request, Action.CHANGE_TRANSFER)
    initial = {"member_id": request.GET.get("dang_vien", "")}
    form = CreateForm(request.POST or None, initial=initial)
    member = None
    member_id = request.POST.get("member_id") or request.GET.get("dang_vien")
    if member_id and str(member_id).isdigit():
        member = Member.objects.scoped(request.user, Action.CHANGE_TRANSFER).filter(pk=int(member_id)).first()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        to_cell = Organisation.objects.filter(code=data["to_cell_code"]).first()
        if member is None:
            form.add_error("member_id", _("No member has this record number in your scope."))
        elif to_cell is None:
            form.add_error("to_cell_code", _("No party cell has this code."))
        else:
            try:
                transfer = services.transfer_create(
                    actor=request.user, member=member, kind=data["kind"], to_cell=to_cell,
                    decided_on=data["decided_on"], reason=data["reason"], until=data["until"],
                )  # fmt: skip
            except (DomainError, ValidationError) as e:
                _into_form(form, e)
            else:
                messages.success(
                    request, _("The transfer is drafted: the sending committee issues its letter.")
                )
                return redirect("transfers:detail", transfer_id=transfer.pk)
    status = 400 if form.errors else 200
    return render(request, "transfers/create.html", {"form": form, "member": member}, status=status)


def _detail(
    request: HttpRequest, transfer: Transfer, status: int = 200, **forms_: forms.Form
) -> HttpResponse:
    today = clock.today()
    sides = selectors.actor_sides(request.user, transfer)
    context = {
        "transfer": transfer,
        "events": selectors.transfer_events(request.user, transfer).select_related("actor"),
        "steps": {s.value for s in selectors.transfer_steps(request.user, transfer, today)},
        "overdue": selectors.overdue(transfer, today),
        "sending": Side.SENDING in sides,
        "receiving": Side.RECEIVING in sides,
        "has_letter": bool(transfer.letter_pdf),
        "cancel_form": forms_.get("cancel_form") or ReasonForm(prefix="huy"),
        "refuse_form": forms_.get("refuse_form") or ReasonForm(prefix="tu_choi"),
        "under_inspection": transfer.member.under_inspection,
        "open": transfer.state in (State.DRAFTED, State.ISSUED, State.RECEIVED),
    }
    return render(request, "transfers/detail.html", context, status=status)


@login_required
def detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    return _detail(request, selectors.transfer_get(request.user, transfer_id))


def _step_post(request: HttpRequest, transfer_id: int, call: Any, done: str) -> HttpResponse:
    transfer = selectors.transfer_get(request.user, transfer_id)
    try:
        call(transfer)
    except DomainError as e:
        if e.http_status == 404:
            raise Http404(_("No such record.")) from e
        messages.error(request, e.message)
    else:
        messages.success(request, done)
    return redirect("transfers:detail", transfer_id=transfer.pk)


@login_required
@require_POST
def issue(request: HttpRequest, transfer_id: int) -> HttpResponse:
    return _step_post(
        request, transfer_id,
        lambda t: services.transfer_issue(actor=request.user, transfer=t),
        _("The introduction letter is issued and signed."),
    )  # fmt: skip


@login_required
@require_POST
def complete(request: HttpRequest, transfer_id: int) -> HttpResponse:
    return _step_post(
        request, transfer_id,
        lambda t: services.transfer_complete(actor=request.user, transfer=t),
        _("The transfer is completed."),
    )  # fmt: skip


def _closing(request: HttpRequest, transfer_id: int, prefix: str, step: Step) -> HttpResponse:
    transfer = selectors.transfer_get(request.user, transfer_id)
    form = ReasonForm(request.POST, prefix=prefix)
    if form.is_valid():
        service = services.transfer_cancel if step == Step.CANCEL else services.transfer_refuse
        try:
            service(actor=request.user, transfer=transfer, reason=form.cleaned_data["reason"])
        except DomainError as e:
            _into_form(form, e)
        else:
            messages.success(
                request,
                _("The transfer is cancelled.") if step == Step.CANCEL else _("The transfer is refused."),
            )
            return redirect("transfers:detail", transfer_id=transfer.pk)
    return _detail(request, transfer, 400, **{f"{step.value}_form": form})


@login_required
@require_POST
def cancel(request: HttpRequest, transfer_id: int) -> HttpResponse:
    return _closing(request, transfer_id, "huy", Step.CANCEL)


@login_required
@require_POST
def refuse(request: HttpRequest, transfer_id: int) -> HttpResponse:
    return _closing(request, transfer_id, "tu_choi", Step.REFUSE)


@login_required
def receive(request: HttpRequest, transfer_id: int) -> HttpResponse:
    """The receiving cell's confirmation: the member presents the letter and shows the e-card on their
    phone; the camera reads its QR (or the secretary pastes what another reader gave) and the server checks
    that it is valid and this member's. An SD-JWT presentation is bound to this page's nonce."""
    transfer = selectors.transfer_get(request.user, transfer_id)
    if Step.RECEIVE not in selectors.transfer_steps(request.user, transfer, clock.today()):
        raise Http404(_("No such record."))
    form = ReceiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["presentation"].strip()
        rotating = text.startswith(("PC1R:", "PC1:"))
        try:
            services.transfer_receive(
                actor=request.user, transfer=transfer, qr=text if rotating else None,
                sd_jwt=None if rotating else text, audience=request.build_absolute_uri("/"),
                nonce=request.session.get(_NONCE),
            )  # fmt: skip
        except DomainError as e:
            _into_form(form, e)
        else:
            messages.success(request, _("The member's e-card is checked: complete the transfer."))
            return redirect("transfers:detail", transfer_id=transfer.pk)
    nonce = secrets.token_urlsafe(16)
    request.session[_NONCE] = nonce
    context = {
        "transfer": transfer,
        "form": form,
        "config": {"jsqrUrl": static("verifier/vendor/jsQR.js"), "nonce": nonce},
    }
    return render(request, "transfers/receive.html", context, status=400 if form.errors else 200)


def _letter_of(request: HttpRequest, transfer_id: int) -> Transfer:
    transfer = selectors.transfer_get(request.user, transfer_id)
    if not transfer.letter_pdf:
        raise Http404(_("No such record."))
    return transfer


@login_required
def letter_pdf(request: HttpRequest, transfer_id: int) -> HttpResponse:
    transfer = _letter_of(request, transfer_id)
    response = HttpResponse(bytes(transfer.letter_pdf or b""), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="giay-gioi-thieu-{transfer.pk}.pdf"'
    return response


@login_required
def letter_signature(request: HttpRequest, transfer_id: int) -> HttpResponse:
    transfer = _letter_of(request, transfer_id)
    response = HttpResponse(
        bytes(transfer.letter_signature or b""), content_type="application/pkcs7-signature"
    )
    response["Content-Disposition"] = f'attachment; filename="giay-gioi-thieu-{transfer.pk}.p7s"'
    return response


@login_required
def letter_check(request: HttpRequest) -> HttpResponse:
    """Check an introduction letter against its signature: whoever holds the two files, on this server's
    root certificate."""
    _refuse_unless(request, Action.VIEW_TRANSFER)
    form = LetterCheckForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        root = root_certificate()
        if root is None:
            form.add_error(None, _("This server has no root certificate to check against."))
        else:
            pdf = form.cleaned_data["letter"].read(5_000_000)
            signature = form.cleaned_data["signature"].read(100_000)
            result = letter_verify(pdf, signature, root=root, at=clock.now())
    return render(request, "transfers/check.html", {"form": form, "result": result})


def member_transfers_panel(request: HttpRequest, member: Member) -> PanelContent:
    """The member page's panel: the member's transfers the viewer may see, the temporary cell, and the
    button to start one."""
    if not _may(request, Action.VIEW_TRANSFER):
        return None
    return (
        "transfers/panel.html",
        {
            "member": member,
            "transfers": list(selectors.member_transfers(request.user, member)[:20]),
            "temporary_cell": selectors.temporary_cell(member, clock.today()),
            "can_create": _may(request, Action.CHANGE_TRANSFER),
        },
    )
