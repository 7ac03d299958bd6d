"""Forms of the meeting pages: input shape only (the services decide what may happen)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partycard.meetings.choices import MeetingKind

__all__ = ["ExcuseForm", "OpenForm", "PresentForm", "StatsForm"]


class OpenForm(forms.Form):
    cell_code = forms.CharField(label=_("Code of the party cell"), max_length=20)
    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices, initial=MeetingKind.REGULAR)
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Date and time (dd/mm/yyyy hh:mm)"), input_formats=["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"]
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)

    def clean_cell_code(self) -> str:
        return str(self.cleaned_data["cell_code"]).strip().upper()


class PresentForm(forms.Form):
    member = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ExcuseForm(forms.Form):
    member = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for the absence"), max_length=300)


class StatsForm(forms.Form):
    org = forms.CharField(required=False, max_length=20)
    tu = forms.DateField(label=_("From"), required=False)
    den = forms.DateField(label=_("To"), required=False)
