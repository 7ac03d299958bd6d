"""The login steps after the password: enter a TOTP code, or enrol an authenticator app first; change
one's password (forced after a superior's reset); and the "forgot password" pages (docs/officers.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from partycard.accounts import password_reset, sms_code, two_factor
from partycard.accounts.forms import (
    AuditedPasswordChangeForm,
    AuditedSetPasswordForm,
    OtpTokenForm,
    PasswordResetRequestForm,
)
from partycard.accounts.models import User
from partycard.accounts.sender import SendFailed
from partycard.accounts.two_factor import Verification
from partycard.core import clock
from partycard.core.client_address import client_address
from partycard.core.redirects import next_url as safe_next_url

__all__ = [
    "PasswordChangeView",
    "PasswordResetConfirmView",
    "forgot_password",
    "forgot_password_sent",
    "otp_enrol",
    "otp_verify",
    "password_change_done",
    "password_reset_complete",
    "sms_verify",
]


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


@never_cache
@login_required
def sms_verify(request: HttpRequest) -> HttpResponse:
    """A member's second step: the six-digit code sent by SMS to their phone (``sms_code``). The first
    visit sends one; "send a new code" sends another (at most one a minute). Once verified, the session
    lasts ``MEMBER_SESSION_DAYS`` on this browser."""
    user, next_url, now = request.user, _next_url(request), clock.now()
    if not sms_code.needs_sms_code(user) or user.is_verified():  # type: ignore[union-attr]
        return redirect(next_url)
    form = OtpTokenForm(request.POST if request.method == "POST" and "otp_token" in request.POST else None)
    notice = None
    if form.is_bound and form.is_valid():
        result = sms_code.sms_code_verify(user=user, code=form.cleaned_data["otp_token"], at=now)
        if result.ok:
            response = _verified(request, result, next_url)  # type: ignore[arg-type]
            request.session.set_expiry(sms_code.member_session_seconds())
            return response
        form.refuse(result.outcome)
    elif not form.is_bound:
        try:
            sent = sms_code.sms_code_send(user=user, at=now, force=request.method == "POST")
        except SendFailed:
            notice = _("The code could not be sent. Try again in a moment.")
        else:
            if sent.no_phone:
                notice = _("Your account has no phone number. Ask your cell secretary to add it.")
            elif sent.wait and request.method == "POST":
                notice = _("A code was sent less than a minute ago. Wait %(seconds)s seconds.") % {
                    "seconds": sent.wait
                }
    phone = getattr(user, "phone", "")
    context = {"form": form, "next": next_url, "notice": notice, "phone_end": phone[-3:] if phone else ""}
    return render(request, "accounts/sms_verify.html", context)


def _verified(request: HttpRequest, result: Verification, next_url: str) -> HttpResponseRedirect:
    request.session.cycle_key()  # a new session id for the now fully signed-in session
    django_otp.login(request, result.device)
    return redirect(next_url)


def _next_url(request: HttpRequest) -> str:
    """``next`` if it stays on this site, else the home page."""
    return safe_next_url(request, resolve_url(settings.LOGIN_REDIRECT_URL))


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page (the current password, the new one twice), audited; the other sessions of the account
    end (Django's session hash), this one stays. Also the page a temporary password leads to."""

    form_class = AuditedPasswordChangeForm
    template_name = "registration/change_password.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["forced"] = bool(getattr(self.request.user, "password_change_required", False))
        return context


@login_required
def password_change_done(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/change_password_done.html")


@never_cache
@sensitive_post_parameters()
def forgot_password(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. The answer is the same page whether or not an account matched (a redirect to
    "sent"); past ``PASSWORD_RESET_PER_ADDRESS`` requests an hour from one address, the 429 page."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not password_reset.address_allowed(client_address(request)):
            message = _("Too many requests from this address. Please wait an hour, then try again.")
            return render(request, "429.html", {"message": message}, status=429)
        password_reset.reset_request(
            actor=request.user,
            identifier=form.cleaned_data["identifier"],
            base_url=request.build_absolute_uri("/"),
        )
        return redirect("accounts:password_reset_sent")
    return render(request, "registration/forgot_password.html", {"form": form})


def forgot_password_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/forgot_password_sent.html")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's page: the token from the link is checked, moved into the session and out of the address
    (so it cannot leak through a Referer or a later log line), then the new password is chosen. A disabled
    account's link does not work. The user then logs in, with their second factor as always."""

    form_class = AuditedSetPasswordForm
    template_name = "registration/reset_password.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_user(self, uidb64: str) -> User | None:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None


def password_reset_complete(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/reset_password_done.html")
