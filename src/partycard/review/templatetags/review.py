"""The menu's test for the review pages: a role that may bring a review workbook back (officers from the
cell up, and the Youth Union volunteer)."""

from __future__ import annotations

from typing import Any

from django import template

from partycard.accounts.roles import Action, allowed
from partycard.core.scope import role_of

register = template.Library()

__all__ = ["may_review"]


@register.filter
def may_review(user: Any) -> bool:
    return allowed(role_of(user) or "", Action.IMPORT_REVIEW)
