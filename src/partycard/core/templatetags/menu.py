"""The site menu's links: one ``{% menu_link %}`` line per page, marked ``aria-current`` where the user is.

The menu in ``base.html`` is a list that each app extends by one line, so adding a page to it touches
nothing else (issue 15: several branches each add a link).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html

from partycard.core.scope import actor_may

__all__ = ["may", "menu_link"]

register = template.Library()


@register.simple_tag(takes_context=True)
def menu_link(context: dict[str, Any], url_name: str, label: str) -> str:
    """``<li><a href="…">label</a></li>`` for the named URL, current when the page is it or below it.

    The home page (``/``) is current only on itself, else every page would be "below" it.
    """
    href = reverse(url_name)
    request = context.get("request")
    path = request.path if request is not None else ""
    current = path == href or (href != "/" and path.startswith(href))
    if current:
        return format_html('<li><a href="{}" aria-current="page">{}</a></li>', href, label)
    return format_html('<li><a href="{}">{}</a></li>', href, label)


@register.filter
def may(user: Any, action: str) -> bool:
    """``user|may:"reports.view_report"``: whether the user's role may do the action at all (the role
    table's answer), so that the menu shows a page only to those it can serve."""
    return actor_may(user, action)
