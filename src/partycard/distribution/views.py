"""The distribution pages, one per level: shipments to receive and to send, the receipt form (the label's
QR or its code), a shipment and its label, the cell's meeting with its receipt, the member's confirmation,
the issuance register and the destruction minutes.

Thin: parse, one selector or service call, render. Outside the actor's scope everything is the same 404 as
a missing record; a refused step says why.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action, allowed
from partycard.cards.lifecycle import CardLevel
from partycard.cards.models import Card
from partycard.cards.selectors import card_actor_levels
from partycard.core.errors import DomainError
from partycard.core.scope import get_scoped_or_404, role_of, scope_path
from partycard.distribution import documents, selectors, services, storage
from partycard.distribution.choices import HandOverMethod
from partycard.distribution.forms import METHOD_CHOICES, DestructionForm, MeetingForm, ReceiveForm, numbers
from partycard.distribution.models import DestructionRecord, HandOver, IssuanceRegister, Meeting
from partycard.registry.choices import MEMBER_HOLDING_LEVELS, OrgLevel
from partycard.registry.models import Organisation

__all__ = [
    "destruction_page",
    "home",
    "label_pdf",
    "meeting_detail",
    "meeting_page",
    "meeting_receipt",
    "minutes_download",
    "my_cards",
    "receive_page",
    "register_download",
    "register_page",
    "reroute",
    "send",
    "shipment_detail",
]


def _officer_org(request: HttpRequest) -> Organisation:
    """The organisation the page is about: ``?to_chuc=CODE`` in the actor's scope, else their own (the
    Centre for a central administrator placed nowhere). A member, or anyone without a subtree: 404."""
    user = request.user
    if not allowed(role_of(user) or "", Action.VIEW_CARD) or scope_path(user) is None:
        raise Http404(_("No such record."))
    code = (request.GET.get("to_chuc") or request.POST.get("to_chuc") or "").strip().upper()
    if code:
        return get_scoped_or_404(Organisation, user, Action.VIEW_CARD, code=code)
    own = getattr(user, "organisation", None)
    if own is None:
        own = Organisation.objects.filter(level=OrgLevel.CENTRE).first()
        if own is None:
            raise Http404(_("No such record."))
    return get_scoped_or_404(Organisation, user, Action.VIEW_CARD, pk=own.pk)


def _here(org: Organisation, name: str = "distribution:home") -> str:
    return f"{reverse(name)}?{urlencode({'to_chuc': org.code})}"


def _acts_at(user: Any, org: Organisation) -> bool:
    level = selectors.level_of(org)
    return level is not None and level in card_actor_levels(user, [(level, org)])


@login_required
def home(request: HttpRequest) -> HttpResponse:
    org = _officer_org(request)
    user = request.user
    acts = _acts_at(user, org) and allowed(role_of(user) or "", Action.CHANGE_CARD)
    groups, off_route = services.shipments_plan(user, org) if acts else ({}, [])
    destinations = {o.pk: o for o in Organisation.objects.filter(pk__in=list(groups))}
    context = {
        "org": org,
        "level": selectors.level_of(org),
        "acts": acts,
        "to_send": [(destinations[k], len(v)) for k, v in sorted(groups.items())],
        "off_route": Card.objects.filter(pk__in=off_route).select_related("member").order_by("number")[:200],
        "to_receive": selectors.shipments_to_receive(user, org)[:200],
        "sent": selectors.shipments_sent(user, org)[:50],
        "is_cell": org.level in MEMBER_HOLDING_LEVELS,
        "is_committee": org.level in (OrgLevel.COMMUNE, OrgLevel.CENTRE),
    }
    return render(request, "distribution/home.html", context)


def _refused(request: HttpRequest, error: DomainError) -> None:
    if error.http_status == 404:
        raise Http404(_("No such record."))
    messages.error(request, error.message)


@login_required
@require_POST
def send(request: HttpRequest) -> HttpResponse:
    org = _officer_org(request)
    try:
        outcome = services.shipments_send(actor=request.user, from_org=org)
    except DomainError as e:
        _refused(request, e)
        return redirect(_here(org))
    if outcome.job is not None and outcome.job.status != "done":
        return redirect("jobs:job_detail", pk=outcome.job.pk)
    messages.success(request, _("%(n)d shipments sent.") % {"n": len(outcome.shipments)})
    return redirect(_here(org))


@login_required
@require_POST
def reroute(request: HttpRequest, number: str) -> HttpResponse:
    try:
        shipment = services.reroute_ship(actor=request.user, number=number)
    except DomainError as e:
        _refused(request, e)
        return redirect("distribution:home")
    messages.success(request, _("The card was sent back up to %(org)s.") % {"org": shipment.to_org.name})
    return redirect("distribution:shipment_detail", shipment_code=shipment.code)


@login_required
def receive_page(request: HttpRequest) -> HttpResponse:
    """GET ``?ma=CODE`` (the label's QR opened on a phone) fills the code in; POST receives."""
    if not allowed(role_of(request.user) or "", Action.CHANGE_CARD) or scope_path(request.user) is None:
        raise Http404(_("No such record."))
    form = ReceiveForm(request.POST or None, initial={"code": request.GET.get("ma", "")[:32]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            shipment = services.shipment_receive(
                actor=request.user,
                code=data["code"],
                counted=data["counted"],
                missing_numbers=numbers(data["missing"]),
                extra_numbers=numbers(data["extra"]),
            )
        except DomainError as e:
            if e.http_status == 404:
                form.add_error("code", _("No shipment has this code."))
            elif e.field in ("missing_numbers", "extra_numbers"):
                form.add_error("missing" if e.field == "missing_numbers" else "extra", e.message)
            else:
                form.add_error(None, e.message)
        else:
            if shipment.incidents.exists():
                messages.warning(request, _("Received, with discrepancies recorded."))
            else:
                messages.success(request, _("Received: the count matches."))
            if shipment.job_id and shipment.state != "received":
                return redirect("jobs:job_detail", pk=shipment.job_id)
            return redirect("distribution:shipment_detail", shipment_code=shipment.code)
    return render(request, "distribution/receive.html", {"form": form})


@login_required
def shipment_detail(request: HttpRequest, shipment_code: str) -> HttpResponse:
    shipment = selectors.shipment_get(request.user, shipment_code)
    context = {
        "shipment": shipment,
        "incidents": shipment.incidents.all(),
        "items": shipment.items.select_related("card__member").order_by("card__number")[:500],
    }
    return render(request, "distribution/shipment_detail.html", context)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
def label_pdf(request: HttpRequest, shipment_code: str) -> HttpResponse:
    s = selectors.shipment_get(request.user, shipment_code)
    label = documents.LabelData(
        code=s.code,
        from_name=s.from_org.name,
        to_name=s.to_org.name,
        count=s.count_sent,
        sent_on=s.sent_at.date() if s.sent_at else None,
    )
    return _pdf(documents.label_pdf(label), f"nhan-lo-{s.code}.pdf")


# ---- the cell's meeting ------------------------------------------------------------------------------


@login_required
def meeting_page(request: HttpRequest) -> HttpResponse:
    """Open the meeting of a day (POST), or list the cell's meetings."""
    cell = _officer_org(request)
    if cell.level not in MEMBER_HOLDING_LEVELS:
        raise Http404(_("No such record."))
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_open(
                actor=request.user, cell=cell, held_on=form.cleaned_data["held_on"]
            )
        except DomainError as e:
            _refused(request, e)
        else:
            return redirect("distribution:meeting_detail", meeting_id=meeting.pk)
    meetings = Meeting.objects.scoped(request.user, Action.VIEW_CARD).filter(cell=cell)[:50]
    waiting = selectors.cards_at_cell(request.user, cell).count()
    return render(
        request,
        "distribution/meeting.html",
        {"cell": cell, "form": form, "meetings": meetings, "waiting": waiting},
    )


@login_required
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The cards waiting at the cell, each to record as handed over (paper receipt or phone), and those
    recorded at this meeting."""
    meeting = get_scoped_or_404(Meeting, request.user, Action.VIEW_CARD, pk=meeting_id)
    cards = list(selectors.cards_at_cell(request.user, meeting.cell)[:500])
    if request.method == "POST":
        if not allowed(role_of(request.user) or "", Action.CHANGE_CARD):
            raise Http404(_("No such record."))
        done = 0
        for card in cards:
            method = request.POST.get(f"method-{card.pk}", "")
            if method not in HandOverMethod.values:
                continue
            try:
                services.handover_record(
                    actor=request.user,
                    meeting=meeting,
                    card=card,
                    method=method,
                    old_card_taken=request.POST.get(f"old-{card.pk}") == "1",
                )
            except DomainError as e:
                if e.http_status == 404:
                    raise Http404(_("No such record.")) from e
                messages.error(request, f"{card.member.full_name}: {e.message}")
            else:
                done += 1
        if done:
            messages.success(request, _("%(n)d hand-overs recorded.") % {"n": done})
        return redirect("distribution:meeting_detail", meeting_id=meeting.pk)
    handovers = HandOver.objects.scoped(request.user, Action.VIEW_CARD).filter(meeting=meeting)
    context = {
        "meeting": meeting,
        "cards": cards,
        "methods": METHOD_CHOICES,
        "handovers": handovers.select_related("card", "member"),
        "can_act": _acts_at(request.user, meeting.cell)
        and allowed(role_of(request.user) or "", Action.CHANGE_CARD),
    }
    return render(request, "distribution/meeting_detail.html", context)


@login_required
def meeting_receipt(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The receipt to sign at the meeting: the cards handed over at it on paper, and those still waiting."""
    meeting = get_scoped_or_404(Meeting, request.user, Action.VIEW_CARD, pk=meeting_id)
    handed = HandOver.objects.scoped(request.user, Action.VIEW_CARD).filter(
        meeting=meeting, method=HandOverMethod.PAPER
    )
    cards = [h.card for h in handed.select_related("card__member")]
    cards += list(selectors.cards_at_cell(request.user, meeting.cell)[:2000])
    cards.sort(key=lambda c: (c.member.name_search, c.number))
    rows = [documents.ReceiptRow(c.member.full_name, c.member.date_of_birth, c.number) for c in cards]
    content = documents.receipt_pdf(cell=meeting.cell.name, held_on=meeting.held_on, rows=rows)
    return _pdf(content, f"danh-sach-nhan-the-{meeting.held_on:%Y%m%d}.pdf")


# ---- the member --------------------------------------------------------------------------------------


@login_required
def my_cards(request: HttpRequest) -> HttpResponse:
    """The member's new cards handed over at a meeting, waiting for them to confirm they received it."""
    if getattr(request.user, "member_id", None) is None:
        raise Http404(_("No such record."))
    if request.method == "POST":
        try:
            handover_id = int(request.POST.get("handover", ""))
        except ValueError as e:
            raise Http404(_("No such record.")) from e
        try:
            services.handover_confirm(actor=request.user, handover_id=handover_id)
        except DomainError as e:
            _refused(request, e)
        else:
            messages.success(request, _("Thank you: your new card is now in use."))
        return redirect("distribution:my_cards")
    waiting = selectors.handovers_to_confirm(request.user)
    return render(request, "distribution/my_cards.html", {"waiting": waiting})


# ---- the register and the destruction -----------------------------------------------------------------


@login_required
def register_page(request: HttpRequest) -> HttpResponse:
    org = _officer_org(request)
    if request.method == "POST":
        try:
            register = services.register_start(actor=request.user, committee=org)
        except DomainError as e:
            _refused(request, e)
        else:
            if register.job_id and not register.pdf_sha256:
                return redirect("jobs:job_detail", pk=register.job_id)
            messages.success(request, _("The register is ready."))
        return redirect(_here(org, "distribution:register"))
    registers = IssuanceRegister.objects.scoped(request.user, Action.VIEW_CARD).filter(committee=org)[:20]
    return render(request, "distribution/register.html", {"org": org, "registers": registers})


@login_required
def register_download(request: HttpRequest, register_id: int, fmt: str) -> HttpResponse:
    register = get_scoped_or_404(IssuanceRegister, request.user, Action.VIEW_CARD, pk=register_id)
    if fmt == "pdf":
        name, digest, kind = register.pdf_file, register.pdf_sha256, "application/pdf"
    elif fmt == "xlsx":
        name, digest = register.xlsx_file, register.xlsx_sha256
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404(_("No such record."))
    content = storage.file_read(name, digest)
    if content is None:
        raise Http404(_("No such record."))
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="so-phat-the-{register.pk}.{fmt}"'
    return response


@login_required
def destruction_page(request: HttpRequest) -> HttpResponse:
    org = _officer_org(request)
    form = DestructionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.destruction_start(
                actor=request.user,
                committee=org,
                destroyed_on=form.cleaned_data["destroyed_on"],
                council=form.cleaned_data["council"],
            )
        except DomainError as e:
            _refused(request, e)
        else:
            if record.job_id and not record.sha256:
                return redirect("jobs:job_detail", pk=record.job_id)
            messages.success(
                request, _("%(n)d cards destroyed; the minutes are ready.") % {"n": record.count}
            )
            return redirect(_here(org, "distribution:destruction"))
    records = DestructionRecord.objects.scoped(request.user, Action.VIEW_CARD).filter(committee=org)[:20]
    level = selectors.level_of(org)
    acts = level in (CardLevel.UPPER, CardLevel.CENTRE) and _acts_at(request.user, org)
    return render(
        request, "distribution/destruction.html", {"org": org, "form": form, "records": records, "acts": acts}
    )


@login_required
def minutes_download(request: HttpRequest, record_id: int) -> HttpResponse:
    record = get_scoped_or_404(DestructionRecord, request.user, Action.VIEW_CARD, pk=record_id)
    content = storage.file_read(record.file, record.sha256)
    if content is None:
        raise Http404(_("No such record."))
    response = _pdf(content, f"bien-ban-huy-the-{record.pk}.pdf")
    response["Content-Disposition"] = f'attachment; filename="bien-ban-huy-the-{record.pk}.pdf"'
    return response
