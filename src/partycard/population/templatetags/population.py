"""The menu's test for the population pages: a role that may see the cross-check and its tasks."""

from __future__ import annotations

from typing import Any

from django import template

from partycard.accounts.roles import Action, allowed
from partycard.core.scope import role_of

register = template.Library()

__all__ = ["may_see_population"]


@register.filter
def may_see_population(user: Any) -> bool:
    return allowed(role_of(user) or "", Action.VIEW_POPULATION_CHECK)
