"""The menu's test for the losses pages: a role that may see lost or damaged card reports."""

from __future__ import annotations

from typing import Any

from django import template

from partycard.accounts.roles import Action, allowed
from partycard.core.scope import role_of

register = template.Library()

__all__ = ["may_see_losses"]


@register.filter
def may_see_losses(user: Any) -> bool:
    return allowed(role_of(user) or "", Action.VIEW_LOSS)
