"""The two questions every officers' route asks first, once: who is acting, and may their role do this at all.

Over which rows is the selectors' and services' to say (``objects.scoped``, ``scope_require``); this is
only the 403 of a role the action is not given to, told apart from the 404 of an object out of scope.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from partycard.accounts.roles import Action
from partycard.api.errors import ApiProblem
from partycard.core.errors import ErrorCode
from partycard.core.scope import actor_may

__all__ = ["actor_of", "require_action"]


def actor_of(request: HttpRequest) -> Any:
    """The user behind the request's bearer token (``api.auth.TokenAuth`` set ``request.auth``)."""
    return request.auth.user  # type: ignore[attr-defined]


def require_action(actor: Any, action: Action) -> None:
    """403 unless the actor's role may do ``action`` somewhere."""
    if not actor_may(actor, action):
        raise ApiProblem(403, "Your role may not do this.", code=ErrorCode.FORBIDDEN)
