"""Production's forms: the shape of the input only; the services judge it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

__all__ = ["PlanForm", "ReportUploadForm"]


class PlanForm(forms.Form):
    layout = forms.ChoiceField(label=_("Card layout"))
    size = forms.IntegerField(label=_("Cards per batch"), min_value=1, required=False)

    def __init__(self, *args: object, layouts: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["layout"].choices = [(v, v) for v in layouts]  # type: ignore[attr-defined]
        # The newest layout first chosen: v2 prints the CAN, so its batches are PACE cards (issue 18).
        if layouts:
            self.fields["layout"].initial = max(layouts, key=lambda v: (len(v), v))


class ReportUploadForm(forms.Form):
    file = forms.FileField(label=_("File from the manufacturer (.p7s)"))
