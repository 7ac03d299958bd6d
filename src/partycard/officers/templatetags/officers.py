"""``{% load officers %}``: whether the menu shows the officer pages to this user."""

from __future__ import annotations

from typing import Any

from django import template

from partycard.accounts.roles import Action, allowed
from partycard.core.scope import role_of

__all__ = ["may_manage_officers"]

register = template.Library()


@register.filter
def may_manage_officers(user: Any) -> bool:
    return allowed(role_of(user) or "", Action.VIEW_OFFICER)
