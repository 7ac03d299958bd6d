"""Holds an officer whose session has passed the password but not the TOTP code at the OTP pages.

Runs after django-otp's ``OTPMiddleware`` (which sets ``request.user.is_verified()``), on every path:
the admin included. The API is left out because it authenticates with bearer tokens, not sessions.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from partycard.accounts.two_factor import has_confirmed_device, needs_two_factor

__all__ = ["RequireTwoFactorMiddleware"]

EXEMPT_PREFIXES = ("/static/", "/api/", "/kiem-tra/")  # the verifier PWA is public and offline
EXEMPT_URL_NAMES = ("login", "logout", "accounts:otp_verify", "accounts:otp_enrol")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if needs_two_factor(user) and not user.is_verified() and not _exempt(request.path_info):  # type: ignore[union-attr]
            page = "accounts:otp_verify" if has_confirmed_device(user) else "accounts:otp_enrol"
            return redirect_to_login(request.get_full_path(), reverse(page))
        return self.get_response(request)


def _exempt(path: str) -> bool:
    return path.startswith(EXEMPT_PREFIXES) or path in {reverse(name) for name in EXEMPT_URL_NAMES}
