"""Template filters of the report pages: a share as a percentage in the active locale ("45,3 %")."""

from __future__ import annotations

from django import template

from partycard.reports.presenters import percent as _percent

__all__ = ["percent"]

register = template.Library()


@register.filter
def percent(fraction: float | None) -> str:
    """0.4531 → "45,3 %" (Vietnamese: decimal comma, a no-break space before the sign); None → ""."""
    return _percent(fraction)
