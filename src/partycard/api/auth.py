"""Bearer-token authentication of the API (RFC 6750): the token acts as its user, scope and role included.

A refused token is a 401 problem with ``WWW-Authenticate: Bearer``. Token clients skip the TOTP step
(the two-factor middleware exempts ``/api/``): the token was issued from a session that passed it, or by
the operator's CLI.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

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
        services.token_mark_used(token=found, at=now)
        request.user = found.user  # history and anything downstream see the token's user
        return found


class MemberSessionAuth(SessionAuth):
    """The member's app: a logged-in member's Django session (members get no tokens), CSRF checked.

    Ninja's ``SessionAuth`` (CSRF on), plus: the user acts as a member (``role == member``) with their
    member record set; anyone else is a 401. (Issue 16: the memberapp branch owns this class; the merge
    keeps one copy.)
    """

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or getattr(user, "role", "") != "member" or not getattr(user, "member_id", None):
            return None
        return user
