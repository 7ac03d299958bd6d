"""The input shapes of the losses pages (the rules live in the services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partycard.losses.choices import KIND_CHOICES

__all__ = ["DecideForm", "RecoveryForm", "RefuseForm", "ReportForm", "StepForm"]


class _MultipleFiles(forms.ClearableFileInput):
    allow_multiple_selected = True


class _PhotosField(forms.FileField):
    widget = _MultipleFiles(attrs={"accept": "image/jpeg,image/png", "multiple": True})

    def clean(self, data: object, initial: object = None) -> list[object]:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(_PhotosField, self).clean(f, initial) for f in files if f]


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("lost or damaged"), choices=KIND_CHOICES, widget=forms.RadioSelect)
    circumstances = forms.CharField(
        label=_("circumstances"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("When, where and how the card was lost or damaged."),
    )  # fmt: skip
    good_reason = forms.NullBooleanField(
        label=_("with good reason"), required=False,
        widget=forms.Select(choices=[("unknown", _("Not said yet")), ("true", _("Yes")), ("false", _("No"))]),
    )  # fmt: skip
    photos = _PhotosField(
        label=_("two 2 × 3 cm photos"), help_text=_("JPEG or PNG, portrait, at most 5 MB each.")
    )


class StepForm(forms.Form):
    """List, compile, close: no input beyond the step (compile may correct the good reason)."""

    good_reason = forms.NullBooleanField(
        label=_("with good reason"), required=False,
        widget=forms.Select(choices=[("unknown", _("As reported")), ("true", _("Yes")), ("false", _("No"))]),
    )  # fmt: skip


class DecideForm(forms.Form):
    decision_number = forms.CharField(label=_("number of the decision"), max_length=50, required=False)


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("reason of the refusal"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RecoveryForm(forms.Form):
    card = forms.ChoiceField(label=_("card"))
    note = forms.CharField(label=_("note"), max_length=1000, required=False)
