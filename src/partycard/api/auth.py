"""Bearer-token authentication of the API (RFC 6750): the token acts as its user, scope and role included.

A refused token is a 401 problem with ``WWW-Authenticate: Bearer``. Token clients skip the TOTP step
(the two-factor middleware exempts ``/api/``): the token was issued from a session that passed it, or by
the operator's CLI. Members get no tokens (``services.token_issue`` refuses them, and a member's token
from before that rule is refused here).

The member's app calls ``/api/v1/me/…`` with the member's session instead (``MemberSessionAuth``): a
logged-in member whose session passed the SMS code, with Django's CSRF check on every unsafe method.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from partycard.accounts.roles import Role
from partycard.api import selectors, services
from partycard.api.models import ApiToken
from partycard.core import clock

__all__ = ["MemberSessionAuth", "TokenAuth"]


class TokenAuth(HttpBearer):
    """Look the token up by its hash; refuse unknown, revoked, expired or a disabled user's tokens."""

    def __call__(self, request: HttpRequest) -> ApiToken | None:
        # Ninja's HttpBearer logs an unexpected header verbatim under DEBUG; a token never reaches a log.
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token.strip():
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        found = selectors.token_by_key(token)
        now = clock.now()
        if found is None:
            raise AuthenticationError(message="Unknown token.")
        if found.revoked_at is not None:
            raise AuthenticationError(message="This token has been revoked.")
        if not found.usable_at(now):
            raise AuthenticationError(message="This token has expired.")
        if not found.user.is_active:
            raise AuthenticationError(message="The token's user account is disabled.")
        if found.user.role == Role.MEMBER and not (found.user.is_staff or found.user.is_superuser):
            raise AuthenticationError(message="Members use the member's app, not API tokens.")
        services.token_mark_used(token=found, at=now)
        request.user = found.user  # history and anything downstream see the token's user
        return found


class MemberSessionAuth(SessionAuth):
    """The member's own session (the member's app): a logged-in, active account of the member role,
    linked to its member record, whose session passed the second factor (the SMS code). Anything else,
    an officer's session included, is a 401. CSRF is checked (``SessionAuth``'s ``csrf=True``): the app
    sends the page's token in ``X-CSRFToken``."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not (user.is_authenticated and user.is_active):
            return None
        if getattr(user, "role", None) != Role.MEMBER or getattr(user, "member_id", None) is None:
            return None
        if user.is_staff or user.is_superuser or getattr(user, "password_change_required", False):
            return None
        if not user.is_verified():  # type: ignore[attr-defined]  # django-otp's middleware sets it
            return None
        return user
