"""Forms of the distribution pages: input shape only (the services decide what may happen)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partycard.distribution.choices import HandOverMethod

__all__ = ["DestructionForm", "MeetingForm", "ReceiveForm", "numbers"]


def numbers(text: str) -> list[str]:
    """Card numbers typed one per line, or separated by commas or spaces (group spaces inside a number are
    not separators: "012 345 678 9" is one number when the groups are short)."""
    found = []
    for line in re.split(r"[\n,;]+", text):
        digits = line.replace(" ", "").replace("-", "").strip()
        if digits:
            found.append(digits)
    return found


class ReceiveForm(forms.Form):
    code = forms.CharField(label=_("Shipment code (scan the label's QR or type it)"), max_length=32)
    counted = forms.IntegerField(label=_("Cards counted in the parcel"), min_value=0, max_value=1_000_000)
    missing = forms.CharField(
        label=_("Numbers of cards on the label but missing"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    extra = forms.CharField(
        label=_("Numbers of cards found but not on the shipment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("Meeting date"))


class DestructionForm(forms.Form):
    """Destroy every recovered card of the committee and write the minutes.

    Destroyed cards are gone for good (``cards.lifecycle.IRREVERSIBLE``), so the officer ticks ``confirmed``
    first, as on the exchange's case page: the box is ``required`` in the page, and the form refuses the
    destruction without it whatever the browser does.
    """

    destroyed_on = forms.DateField(label=_("Date of destruction"))
    council = forms.CharField(
        label=_("Members of the destruction council (one per line: name and position)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    confirmed = forms.BooleanField(label=_("I confirm: this cannot be undone."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = _("Destroy the recovered cards and write the minutes")
        self.fields["confirmed"].error_messages["required"] = _(
            "Tick the box to confirm “%(action)s”: it cannot be undone."
        ) % {"action": action}


METHOD_CHOICES = [("", _("Not at this meeting")), *HandOverMethod.choices]
