"""Template filters of the report pages: a share as a percentage in the active locale ("45,3 %")."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

__all__ = ["percent"]

register = template.Library()


@register.filter
def percent(fraction: float | None) -> str:
    """0.4531 → "45,3 %" (Vietnamese: decimal comma, a no-break space before the sign); None → ""."""
    if fraction is None:
        return ""
    # number_format cuts decimals off (66.67 → "66,6"); a share is rounded, as the documents round it.
    return f"{number_format(round(fraction * 100, 1), 1, use_l10n=True, force_grouping=True)}\u00a0%"
