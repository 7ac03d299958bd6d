"""The TOTP pages after the password: enter a code, or enrol an authenticator app first."""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.views.decorators.cache import never_cache

from partycard.accounts import two_factor
from partycard.accounts.forms import OtpTokenForm
from partycard.accounts.two_factor import Verification
from partycard.core.redirects import next_url as safe_next_url

__all__ = ["otp_enrol", "otp_verify"]


@never_cache
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the current code of the user's authenticator app."""
    user, next_url = request.user, _next_url(request)
    if not two_factor.needs_two_factor(user) or user.is_verified():  # type: ignore[union-attr]
        return redirect(next_url)
    if not two_factor.has_confirmed_device(user):
        return redirect(f"{reverse('accounts:otp_enrol')}?{urlencode({'next': next_url})}")
    form = OtpTokenForm(request.POST or None)
    if form.is_valid():
        result = two_factor.totp_verify(user=user, token=form.cleaned_data["otp_token"])
        if result.ok:
            return _verified(request, result, next_url)
        form.refuse(result.outcome)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


@never_cache
@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Show a new secret (QR and text) and confirm it with a first code.

    Only for users without a confirmed device: a password alone must not replace an existing device.
    """
    user, next_url = request.user, _next_url(request)
    if not two_factor.needs_two_factor(user) or user.is_verified():  # type: ignore[union-attr]
        return redirect(next_url)
    if two_factor.has_confirmed_device(user):
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': next_url})}")
    form = OtpTokenForm(request.POST or None)
    if form.is_valid():
        result = two_factor.totp_enrol_confirm(user=user, token=form.cleaned_data["otp_token"])
        if result.ok:
            return _verified(request, result, next_url)
        form.refuse(result.outcome)
    device = two_factor.totp_enrol_start(user=user)
    context = {
        "form": form,
        "next": next_url,
        "qr": two_factor.totp_qr_data_uri(device),
        "secret": two_factor.totp_secret_b32(device),
    }
    return render(request, "accounts/otp_enrol.html", context)


def _verified(request: HttpRequest, result: Verification, next_url: str) -> HttpResponseRedirect:
    request.session.cycle_key()  # a new session id for the now fully signed-in session
    django_otp.login(request, result.device)
    return redirect(next_url)


def _next_url(request: HttpRequest) -> str:
    """``next`` if it stays on this site, else the home page."""
    return safe_next_url(request, resolve_url(settings.LOGIN_REDIRECT_URL))
