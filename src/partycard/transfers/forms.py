"""Forms of the transfer pages: input shape only (the services decide what may happen)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partycard.transfers.choices import Kind

__all__ = ["CreateForm", "LetterCheckForm", "ReasonForm", "ReceiveForm"]


class CreateForm(forms.Form):
    member_id = forms.IntegerField(label=_("Member (record number)"), min_value=1)
    kind = forms.ChoiceField(label=_("Kind of transfer"), choices=Kind.choices, initial=Kind.OFFICIAL)
    to_cell_code = forms.CharField(label=_("Code of the receiving party cell"), max_length=20)
    decided_on = forms.DateField(label=_("Date of the decision (job move, retirement, residence…)"))
    reason = forms.CharField(label=_("Reason for the transfer"), max_length=300)
    until = forms.DateField(label=_("Temporary until (temporary transfers only)"), required=False)

    def clean_to_cell_code(self) -> str:
        return str(self.cleaned_data["to_cell_code"]).strip().upper()


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class ReceiveForm(forms.Form):
    """What the receiving cell's scanner read from the member's phone (or what was pasted): a rotating QR
    (``PC1R:…``) or an SD-JWT presentation."""

    presentation = forms.CharField(
        label=_("The member's e-card (scanned, or its content pasted)"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
    )


class LetterCheckForm(forms.Form):
    letter = forms.FileField(label=_("Introduction letter (PDF)"))
    signature = forms.FileField(label=_("Its signature (.p7s)"))
