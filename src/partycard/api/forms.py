"""The form of the token page: input shape only (the rules are ``services.token_issue``'s)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

__all__ = ["TokenForm"]

# Lifetimes offered on the page, in days ("" = no expiry). Short lives limit what a leaked token can do.
LIFETIMES = [("30", _("30 days")), ("90", _("90 days")), ("365", _("1 year")), ("", _("No expiry"))]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the name of the program that uses it."),
    )
    lifetime = forms.ChoiceField(label=_("Expires after"), choices=LIFETIMES, initial="90", required=False)

    def expires_at(self, now: dt.datetime) -> dt.datetime | None:
        """The expiry chosen, counted from ``now`` (call after ``is_valid()``)."""
        days = self.cleaned_data.get("lifetime")
        return now + dt.timedelta(days=int(days)) if days else None
