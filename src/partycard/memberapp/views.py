"""The member's app (an installable PWA at ``/so-tay/``): the page, its service worker and manifest, and
the officers' revoke button on a member's page. Thin: the app itself runs in the browser
(static/memberapp/app.js: the device key in WebCrypto, the rotating QR, the SD-JWT presentation) against
the member's ``/api/v1/me/…`` routes.

The service worker is served from ``/so-tay/sw.js`` (a worker's scope cannot be wider than its own
directory); its content is ``static/memberapp/sw.js`` after one line naming the shell's URLs and a
version that changes with any of their bytes, as the verifier's (credentials/verifier_views.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from partycard.accounts.roles import Action
from partycard.core.errors import DomainError
from partycard.core.service_worker import assets_version, service_worker_response
from partycard.memberapp import selectors, services

__all__ = ["SHELL_ASSETS", "app_page", "device_revoke", "manifest", "service_worker"]

SCOPE = "/so-tay/"
#: The static files of the app shell, cached by the service worker for use offline.
SHELL_ASSETS = (
    "memberapp/app.js",
    "memberapp/card.js",
    "memberapp/keys.js",
    "memberapp/memberapp.css",
    "memberapp/vendor/qrcode.mjs",
    "memberapp/icons/icon-192.png",
    "memberapp/icons/icon-512.png",
    "verifier/codec.js",  # Base45, base64url, CBOR: the verifier's, imported, not copied
    "partycard/fonts/noto-sans-regular.woff2",
    "partycard/fonts/noto-sans-bold.woff2",
)


def _strings() -> dict[str, Any]:
    """The words the app's script shows, translated here (the script itself holds no user-facing text)."""
    return {
        "activate_failed": _("The phone could not be registered. Check the connection and try again."),
        "renews_in": _("The code changes in %(seconds)s s"),
        "status_valid": _("valid"),
        "status_revoked": _("revoked"),
        "revoke_confirm": _("Revoke this phone? Its electronic party card stops working at once."),
        "offline_action": _("This needs a connection to the server."),
        "offline_no_data": _("Offline, and nothing was kept yet."),
        "not_available": _("Not available yet."),
        "nothing_yet": _("Nothing yet."),
        "record_read_only": _("Read only: ask your cell secretary to correct your record."),
        "this_phone": _("this phone"),
        "claims": {
            "card_number": _("Card number"),
            "full_name": _("Full name"),
            "date_of_birth": _("Date of birth"),
            "gender": _("Gender"),
            "date_admitted": _("Date admitted"),
            "date_official": _("Date official"),
            "issuing_committee": _("Issuing committee"),
            "organisation": _("Party organisation"),
            "membership": _("Membership and standing"),
        },
        "states": {state.value: str(label) for state, label in _card_state_labels()},
        "f": {
            "full_name": _("Full name"),
            "date_of_birth": _("Date of birth"),
            "organisation": _("Party organisation"),
            "status": _("Status"),
            "date_admitted": _("Date admitted"),
            "date_official": _("Date official"),
            "home_town": _("Home town"),
            "phone": _("Phone"),
            "device": _("Phone"),
            "registered": _("Registered"),
            "state": _("State"),
            "meeting": _("Meeting"),
            "date": _("Date"),
            "attendance": _("Attended"),
            "month": _("Month"),
            "amount": _("Amount (VND)"),
            "kind": _("Kind"),
            "when": _("Date and time"),
            "place": _("Place"),
            "from_cell": capfirst(_("from cell")),
            "to_cell": capfirst(_("to cell")),
            "letter_number": capfirst(_("letter number")),
            "decided_on": capfirst(_("date of the decision")),
            "start_deadline": capfirst(_("issue the letter by")),
            "present_deadline": capfirst(_("present the letter by")),
            "until": capfirst(_("temporary until")),
            "reason": _("Reason"),
            "card_number": _("Card number"),
            "new_card": capfirst(_("new card")),
            "circumstances": capfirst(_("circumstances")),
            "refusal": capfirst(_("reason of the refusal")),
            "reported_at": capfirst(_("reported at")),
            "unpaid_months": _("Months recorded unpaid"),
        },
        "labels": _procedure_labels(),
        "attendance": {
            "present": _("Present"),
            "excused": _("Excused"),
            "absent": _("Absent without excuse"),
            "pending": _("Not checked in"),
        },
        "overdue": _("Overdue"),
        "loss_form": {
            "sent": _("The report was sent: your card is suspended at once. Your cell will follow it up."),
            "two_photos": _("Send the two 2 × 3 cm photos."),
        },
    }


def _procedure_labels() -> dict[str, dict[str, str]]:
    """The words of the procedures' states and kinds, from their apps' choices (the app shows the API's
    codes with them). Dues' statuses are worded here: the dues app may be absent (its route then 404s)."""
    from partycard.losses import choices as losses
    from partycard.meetings.choices import CheckinMethod, MeetingKind, MeetingState
    from partycard.transfers import choices as transfers

    def words(choices: Any) -> dict[str, str]:
        return {str(value): str(label) for value, label in choices}

    return {
        "meeting_kind": words(MeetingKind.choices),
        "meeting_state": words(MeetingState.choices),
        "checkin_method": words(CheckinMethod.choices),
        "transfer_kind": words(transfers.Kind.choices),
        "transfer_state": words(transfers.STATE_CHOICES),
        "loss_kind": words(losses.KIND_CHOICES),
        "loss_state": words(losses.STATE_CHOICES),
        "payment_status": {
            "recorded": _("Recorded by the cell"),
            "declared": _("Declared by the member, awaiting the cell"),
            "confirmed": _("Confirmed by the cell"),
            "refused": _("Refused by the cell"),
        },
    }


def _card_state_labels() -> list[tuple[Any, Any]]:
    from partycard.cards.lifecycle import CardState
    from partycard.cards.models import Card

    labels = dict(Card._meta.get_field("state").choices or [])
    return [(state, labels.get(state.value, state.value)) for state in CardState]


@login_required
@require_GET
def app_page(request: HttpRequest) -> HttpResponse:
    """The app's shell: everything the member sees is fetched from ``/api/v1/me/…`` or read from the
    phone's own store, so the page holds nothing but the CSRF token and works from the cache offline."""
    is_member = selectors.own_member(request.user) is not None
    config = {
        "scope": SCOPE,
        "serviceWorkerUrl": reverse("memberapp:service_worker"),
        "api": "/api/v1/",
        "user": request.user.username,
        "verifierUrl": reverse("verifier:page"),
        "timeZone": settings.TIME_ZONE,  # the Party's dates are Việt Nam's, wherever the phone's clock is
    }
    context = {"config": config, "strings": _strings(), "is_member": is_member}
    response = render(request, "memberapp/app.html", context)
    response["Cache-Control"] = "no-store" if not is_member else "no-cache"
    return response


def _shell_urls() -> list[str]:
    return [SCOPE, reverse("memberapp:manifest"), *(static(asset) for asset in SHELL_ASSETS)]


def _shell_version() -> str:
    return assets_version((*SHELL_ASSETS, "memberapp/sw.js"))


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """``static/memberapp/sw.js`` with its configuration, allowed to control ``/so-tay/``."""
    config = {"version": _shell_version(), "shell": _shell_urls(), "scope": SCOPE}
    return service_worker_response(
        "memberapp/sw.js", global_name="PARTYCARD_MEMBERAPP", config=config, scope=SCOPE
    )


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: installable, standalone, portrait, starting at the app."""
    icons = [
        {"src": static("memberapp/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("memberapp/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("memberapp/icons/icon-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    data = {
        "name": "Sổ tay đảng viên",
        "short_name": "Sổ tay",
        "description": "Thẻ đảng viên điện tử trên điện thoại, hồ sơ và thủ tục của đồng chí",
        "lang": "vi",
        "start_url": SCOPE,
        "scope": SCOPE,
        "id": SCOPE,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f6f3ef",
        "theme_color": "#b71c1c",
        "icons": icons,
    }
    return JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )


@login_required
@require_POST
def device_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a member's device from the member's page (a lost phone): the member themself, or an officer
    whose scope holds the member (``CHANGE_DEVICE``); anyone else gets the 404 of a missing device."""
    device = selectors.device_get(request.user, pk, Action.CHANGE_DEVICE)
    try:
        services.device_revoke(actor=request.user, device=device)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("The phone was revoked: its electronic party card no longer verifies."))
    if getattr(request.user, "member_id", None) == device.member_id:
        return redirect("memberapp:app")
    return redirect("registry:member_detail", device.member_id)


PANEL_ORDER = 120  # after the member's cards (100), before the exchange's cases (200)


def member_devices_panel(request: HttpRequest, member: Any) -> Any:
    """The registry's member page shows the member's phones (registered in ``MemberAppConfig.ready``),
    with a revoke button for the viewer who may ``CHANGE_DEVICE`` them."""
    devices = list(selectors.device_list(request.user, member))
    if not devices:
        return None
    can_revoke = selectors.device_list(request.user, member, Action.CHANGE_DEVICE).exists()
    return "memberapp/_member_devices.html", {"devices": devices, "can_revoke": can_revoke}
