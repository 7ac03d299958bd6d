"""The meeting pages: the meetings in scope, opening one, one meeting with its attendance (the secretary
records a member present or excuses an absence, and closes it), the check-in page the secretary's phone
keeps offline (static/meetings/checkin.js), and the attendance statistics of a subtree.

Thin: parse, one selector or service call, render. Outside the actor's scope everything is the same 404 as
a missing record.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from partycard.accounts.roles import Action, allowed
from partycard.core import clock
from partycard.core.errors import DomainError
from partycard.core.scope import get_scoped_or_404, role_of
from partycard.core.service_worker import service_worker_response
from partycard.core.signing import SigningUnavailable, trust_material
from partycard.credentials.models import StatusListRecord
from partycard.credentials.services import status_list_uri
from partycard.meetings import selectors, services
from partycard.meetings.choices import CheckinMethod, MeetingState
from partycard.meetings.forms import ExcuseForm, OpenForm, PresentForm, StatsForm
from partycard.registry.models import Member, Organisation

__all__ = [
    "checkin_page",
    "close",
    "detail",
    "excuse",
    "home",
    "open_page",
    "present",
    "service_worker",
    "stats",
]

SCOPE = "/hop-chi-bo/"
OFFLINE_CACHE = "partycard-checkin-v1"
#: What the check-in page needs to open without network (the page adds its own URL).
OFFLINE_ASSETS = (
    "meetings/checkin.js",
    "meetings/checkin.css",
    "verifier/verify.js",
    "verifier/codec.js",
    "verifier/der.js",
    "verifier/store.js",
    "verifier/scan.js",
    "verifier/verifier.css",
    "verifier/vendor/jsQR.js",
)


def _may(request: HttpRequest, action: Action) -> bool:
    return allowed(role_of(request.user) or "", action)


def _refuse_unless(request: HttpRequest, action: Action) -> None:
    if not _may(request, action):
        raise Http404(_("No such record."))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_MEETING)
    context = {
        "meetings": selectors.meeting_list(request.user),
        "can_open": _may(request, Action.CHANGE_MEETING),
    }
    return render(request, "meetings/home.html", context)


@login_required
def open_page(request: HttpRequest) -> HttpResponse:
    _refuse_unless(request, Action.CHANGE_MEETING)
    own = getattr(request.user, "organisation", None)
    form = OpenForm(request.POST or None, initial={"cell_code": getattr(own, "code", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        cell = (
            Organisation.objects.scoped(request.user, Action.CHANGE_MEETING)
            .filter(code=data["cell_code"])
            .first()
        )
        if cell is None:
            form.add_error("cell_code", _("No organisation has this code in your scope."))
        else:
            try:
                meeting = services.meeting_open(
                    actor=request.user, cell=cell, kind=data["kind"], title=data["title"],
                    starts_at=data["starts_at"], place=data["place"],
                )  # fmt: skip
            except DomainError as e:
                form.add_error(e.field if e.field in form.fields else None, e.message)
            else:
                return redirect("meetings:detail", cell_meeting_id=meeting.pk)
    return render(request, "meetings/open.html", {"form": form})


@login_required
def detail(request: HttpRequest, cell_meeting_id: int) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_MEETING)
    meeting = selectors.meeting_get(request.user, cell_meeting_id)
    attendances = list(selectors.meeting_attendances(request.user, meeting))
    excuses = list(selectors.meeting_excuses(request.user, meeting))
    present = {a.member_id for a in attendances}
    excused = {e.member_id for e in excuses}
    can_change = _may(request, Action.CHANGE_MEETING) and meeting.state == MeetingState.OPEN
    roster = selectors.meeting_roster(request.user, meeting) if _may(request, Action.CHANGE_MEETING) else []
    context = {
        "meeting": meeting,
        "attendances": attendances,
        "excuses": excuses,
        "absent": [e for e in roster if e.member_id not in present],
        "excused_ids": excused,
        "can_change": can_change,
        "can_excuse": _may(request, Action.CHANGE_MEETING),
    }
    return render(request, "meetings/detail.html", context)


def _member(request: HttpRequest, member_id: int) -> Member:
    return get_scoped_or_404(Member, request.user, Action.CHANGE_MEETING, pk=member_id)


@login_required
@require_POST
def present(request: HttpRequest, cell_meeting_id: int) -> HttpResponse:
    """The secretary records a member present by hand (no card to show)."""
    _refuse_unless(request, Action.CHANGE_MEETING)
    meeting = selectors.meeting_get(request.user, cell_meeting_id, action=Action.CHANGE_MEETING)
    form = PresentForm(request.POST)
    if form.is_valid():
        try:
            services.attendance_record(
                actor=request.user, meeting=meeting, member=_member(request, form.cleaned_data["member"]),
                method=CheckinMethod.MANUAL, device=_("recorded on the meeting page"),
            )  # fmt: skip
        except DomainError as e:
            messages.error(request, e.message)
    return redirect("meetings:detail", cell_meeting_id=meeting.pk)


@login_required
@require_POST
def excuse(request: HttpRequest, cell_meeting_id: int) -> HttpResponse:
    _refuse_unless(request, Action.CHANGE_MEETING)
    meeting = selectors.meeting_get(request.user, cell_meeting_id, action=Action.CHANGE_MEETING)
    form = ExcuseForm(request.POST)
    if form.is_valid():
        try:
            services.excuse_record(
                actor=request.user, meeting=meeting, member=_member(request, form.cleaned_data["member"]),
                reason=form.cleaned_data["reason"],
            )  # fmt: skip
        except DomainError as e:
            messages.error(request, e.message)
    else:
        messages.error(request, _("Give the reason for the absence."))
    return redirect("meetings:detail", cell_meeting_id=meeting.pk)


@login_required
@require_POST
def close(request: HttpRequest, cell_meeting_id: int) -> HttpResponse:
    _refuse_unless(request, Action.CHANGE_MEETING)
    meeting = selectors.meeting_get(request.user, cell_meeting_id, action=Action.CHANGE_MEETING)
    try:
        services.meeting_close(actor=request.user, meeting=meeting)
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("meetings:detail", cell_meeting_id=meeting.pk)


def _root_pem() -> str:
    try:
        return trust_material(at=clock.now()).root.public_bytes(Encoding.PEM).decode("ascii")
    except SigningUnavailable:
        return ""


@login_required
def checkin_page(request: HttpRequest, cell_meeting_id: int) -> HttpResponse:
    """The page the secretary's phone opens while online and keeps using offline: it downloads the roster,
    the trust list and the status lists, verifies each scanned QR in the browser and keeps the check-ins
    in IndexedDB until it can send them (``POST /api/v1/meetings/{id}/checkins``)."""
    _refuse_unless(request, Action.CHANGE_MEETING)
    meeting = selectors.meeting_get(request.user, cell_meeting_id, action=Action.CHANGE_MEETING)
    config = {
        "meetingId": meeting.pk,
        "rosterUrl": reverse("api-v1:meeting_roster", kwargs={"cell_meeting_id": meeting.pk}),
        "syncUrl": reverse("api-v1:meeting_checkins_sync", kwargs={"cell_meeting_id": meeting.pk}),
        "trustListUrl": reverse("api-v1:trust_list_get"),
        "statusListUris": [
            status_list_uri(pk) for pk in StatusListRecord.objects.order_by("pk").values_list("pk", flat=True)
        ],
        "jsqrUrl": static("verifier/vendor/jsQR.js"),
        "device": request.user.get_username(),
        "serviceWorkerUrl": reverse("meetings:service_worker"),
        "scope": SCOPE,
        "offlineCache": OFFLINE_CACHE,
        "assets": [static(a) for a in OFFLINE_ASSETS],
    }
    context: dict[str, Any] = {"meeting": meeting, "config": config, "root_pem": _root_pem()}
    return render(request, "meetings/checkin.html", context)


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    """Attendance of the meetings held in a subtree over a period: in total, by child organisation (to go
    down), and for a cell by member."""
    _refuse_unless(request, Action.VIEW_MEETING)
    form = StatsForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    root = selectors.stats_root(request.user, code=data.get("org") or None)
    end = data.get("den") or clock.today()
    start = data.get("tu") or selectors.year_before(end)
    report = selectors.attendance_stats(request.user, root=root, start=start, end=end)
    context = {"root": root, "report": report, "start": start, "end": end, "form": form}
    return render(request, "meetings/stats.html", context)


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """``static/meetings/sw.js`` with its configuration, allowed to control ``/hop-chi-bo/`` (it holds
    nothing but the names of the page's static files)."""
    config = {"cache": OFFLINE_CACHE, "assets": [static(a) for a in OFFLINE_ASSETS]}
    return service_worker_response(
        "meetings/sw.js", global_name="PARTYCARD_CHECKIN", config=config, scope=SCOPE
    )
