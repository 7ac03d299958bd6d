"""Forms of the inspection pages: input shape only (the services decide what may happen)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partycard.exchange.models import Campaign
from partycard.inspections.choices import FindingKind

__all__ = ["ConcludeForm", "FindingForm", "OpenForm", "RespondForm", "SampleForm"]

_TEXT = {"rows": 6}


class OpenForm(forms.Form):
    organisation_code = forms.CharField(label=_("Code of the organisation inspected"), max_length=20)
    campaign = forms.ModelChoiceField(
        label=_("Exchange campaign"), queryset=Campaign.objects.order_by("-cut_off"), empty_label=None
    )
    number = forms.CharField(label=_("Number of the decision to inspect"), max_length=50)
    decided_on = forms.DateField(label=_("Date of the decision"))
    subject = forms.CharField(
        label=_("Subject of the inspection"),
        max_length=300,
        initial=_("The exchange of party membership cards under Directive 51-CT/TW"),
    )
    period_start = forms.DateField(label=_("Period inspected, from"))
    period_end = forms.DateField(label=_("Period inspected, to"))
    place = forms.CharField(label=_("Place of issue (as on the Party's documents)"), max_length=100)

    def clean_organisation_code(self) -> str:
        return str(self.cleaned_data["organisation_code"]).strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The end of the period inspected is before its start."))
        return data


class SampleForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Sample by"),
        choices=[("size", _("A number of cases")), ("percent", _("A share of the cases (%)"))],
        initial="percent",
        widget=forms.RadioSelect,
    )
    size = forms.IntegerField(label=_("Number of cases"), min_value=1, max_value=100_000, required=False)
    percent = forms.IntegerField(
        label=_("Share of the cases (%)"), min_value=1, max_value=100, required=False
    )
    stratified = forms.BooleanField(
        label=_("Share the sample between the cells in proportion to their cases"),
        initial=True,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        method = data.get("method")
        if method == "size" and data.get("size") is None and "size" not in self.errors:
            self.add_error("size", _("Give the number of cases to draw."))
        if method == "percent" and data.get("percent") is None and "percent" not in self.errors:
            self.add_error("percent", _("Give the share of the cases to draw, from 1 to 100."))
        return data

    def amount(self) -> tuple[int | None, int | None]:
        """The service's ``size`` and ``percent``: the chosen one, the other None."""
        data = self.cleaned_data
        if data["method"] == "size":
            return data["size"], None
        return None, data["percent"]


class FindingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Finding"), choices=FindingKind.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note (what was wrong, and the evidence)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") and data["kind"] != FindingKind.CORRECT and not data.get("note", "").strip():
            self.add_error("note", _("Say what was wrong with this case."))
        return data


class ConcludeForm(forms.Form):
    number = forms.CharField(label=_("Number of the conclusion notice"), max_length=50, required=False)
    conclusion = forms.CharField(label=_("Conclusion"), max_length=20000, widget=forms.Textarea(attrs=_TEXT))


class RespondForm(forms.Form):
    response = forms.CharField(
        label=_("Report on remedying"), max_length=20000, widget=forms.Textarea(attrs=_TEXT)
    )
