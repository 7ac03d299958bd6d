"""Holds a signed-in user at the steps their login still owes, on every path (the admin included):

* an officer whose session has passed the password but not the TOTP code: the code page (or, without a
  device yet, the enrolment page);
* a member whose session has passed the password but not the code sent by SMS (``sms_code``): the
  SMS code page;
* a user whose password a superior set (``password_change_required``): the password change page.

Order: a user who has a device proves it first, so a temporary password alone cannot replace the
password of an account with a second factor; a new officer (no device yet) changes the temporary password
first, then enrols. Runs after django-otp's ``OTPMiddleware`` (which sets ``request.user.is_verified()``).
The API is left out because it authenticates with bearer tokens, not sessions.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve, reverse

from partycard.accounts.sms_code import needs_sms_code
from partycard.accounts.two_factor import has_confirmed_device, needs_two_factor

__all__ = ["RequireTwoFactorMiddleware"]

EXEMPT_PREFIXES = ("/static/", "/api/", "/kiem-tra/")  # the verifier PWA is public and offline
EXEMPT_URL_NAMES = (
    "login",
    "logout",
    "accounts:otp_verify",
    "accounts:otp_enrol",
    "accounts:sms_verify",
    "accounts:password_reset",
    "accounts:password_reset_sent",
    "accounts:password_reset_confirm",  # the link in the message: for someone signed out, or signed in as
    "accounts:password_reset_complete",  # someone else in this browser
)
PASSWORD_CHANGE = "accounts:password_change"  # noqa: S105 - a URL name


class RequireTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        page = _owed_step(request)
        if page is not None and request.path_info != reverse(page) and not _exempt(request.path_info):
            return redirect_to_login(request.get_full_path(), reverse(page))
        return self.get_response(request)


def _owed_step(request: HttpRequest) -> str | None:
    """The URL name of the step the signed-in user still owes, or None."""
    user = request.user
    must_change = bool(getattr(user, "password_change_required", False))
    if needs_two_factor(user) and not user.is_verified():  # type: ignore[union-attr]
        if has_confirmed_device(user):
            return "accounts:otp_verify"
        return PASSWORD_CHANGE if must_change else "accounts:otp_enrol"
    if needs_sms_code(user) and not user.is_verified():  # type: ignore[union-attr]
        return "accounts:sms_verify"
    return PASSWORD_CHANGE if must_change and user.is_authenticated else None


def _exempt(path: str) -> bool:
    if path.startswith(EXEMPT_PREFIXES):
        return True
    try:
        return resolve(path).view_name in EXEMPT_URL_NAMES
    except Resolver404:
        return False
