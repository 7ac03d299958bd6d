"""Who reacts when an account is disabled: an interface the accounts app owns, that higher apps register with.

A disabled account's API tokens are revoked, not only refused while it is disabled: enabling it again must
not bring back a token that may have leaked meanwhile. The tokens live in the ``api`` app, which accounts
may not import (lower layers never import higher ones, STYLE.md rule 13), so ``api`` registers a handler
here in its ``AppConfig.ready``; ``accounts.services.user_save`` calls :func:`user_disabled` when it saves
an account going from active to disabled, in its transaction (a handler that raises rolls it back).

Registered today: ``api`` (``api.services.tokens_revoke_of_disabled``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["UserDisabledHandler", "user_disabled", "user_disabled_handler_register"]

UserDisabledHandler = Callable[..., object]  # (user, *, actor); what it returns is not read

_handlers: dict[str, UserDisabledHandler] = {}


def user_disabled_handler_register(name: str, handler: UserDisabledHandler) -> None:
    """Register ``handler`` under ``name`` (registering a name again replaces it)."""
    _handlers[name] = handler


def user_disabled(user: Any, *, actor: Any) -> None:
    """Call every registered handler, in the order of their names, for ``user`` just disabled by ``actor``."""
    for name in sorted(_handlers):
        _handlers[name](user, actor=actor)
