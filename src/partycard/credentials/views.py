"""The member's own e-card page: the signed QR to show, the SD-JWT VC to download, and issuing one.

Thin: the member is the logged-in user's own record (role ``member``); issuing is
``services.credential_issue``. An officer has no e-card page of their own.
"""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from partycard.credentials.errors import CredentialError
from partycard.credentials.models import Credential
from partycard.credentials.services import credential_issue
from partycard.registry.models import Member


def _member(request: HttpRequest) -> Member:
    member_id = getattr(request.user, "member_id", None)
    member = Member.objects.filter(pk=member_id).select_related("organisation").first() if member_id else None
    if member is None:
        raise Http404(_("Only a member has an electronic party card."))
    return member


@login_required
@require_http_methods(["GET", "POST"])
def my_card(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    if request.method == "POST":
        try:
            credential_issue(actor=request.user, member=member)
        except CredentialError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("Your electronic party card was issued."))
        return redirect("credentials:my_card")
    credential = Credential.objects.filter(member=member).order_by("-issued_at").first()
    qr_svg = None
    if credential is not None:
        qr_svg = segno.make(credential.qr, error="m").svg_inline(scale=4, dark="#7a0000")
    return render(
        request, "credentials/my_card.html", {"member": member, "credential": credential, "qr_svg": qr_svg}
    )


@login_required
def my_card_sd_jwt(request: HttpRequest) -> HttpResponse:
    """The SD-JWT VC as issued (every disclosure), for the member's wallet."""
    member = _member(request)
    credential = Credential.objects.filter(member=member).order_by("-issued_at").first()
    if credential is None or not credential.sd_jwt:
        raise Http404(_("No electronic party card yet."))
    response = HttpResponse(credential.sd_jwt, content_type="application/dc+sd-jwt")
    response["Content-Disposition"] = f'attachment; filename="the-dang-{credential.card_number}.sd-jwt"'
    return response
