"""Forms of the report pages: the "as of" date, the lagging view's level, and the export's letterhead.
Input shape only; what may be read is the selectors' to say."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partycard.core import clock
from partycard.registry.choices import OrgLevel
from partycard.reports.documents import Letterhead

__all__ = ["AsOfForm", "ExportForm", "LaggingForm", "parse_day"]

DAY_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]  # what an officer types, and what a date picker sends


def parse_day(text: str) -> dt.date:
    """dd/mm/yyyy or ISO yyyy-mm-dd (the command line's ``--date``).

    Raises:
        ValueError: neither.
    """
    for fmt in DAY_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


class _Day(forms.DateField):
    """A day no later than today: the figures of a day to come do not exist yet."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", DAY_FORMATS)
        kwargs.setdefault(
            "error_messages", {"invalid": _("Enter the date as dd/mm/yyyy, for example 02/09/2026.")}
        )
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and value > clock.today():
            raise forms.ValidationError(_("The date is in the future: there are no figures for it yet."))


# A text box, not the browser's date picker: that one shows the browser's own order (mm/dd/yyyy in an
# English Chrome), and officers write dd/mm/yyyy. ISO dates (the links between pages) are read too.
_DAY_ATTRS = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off", "size": 10}


class AsOfForm(forms.Form):
    """``?ngay=`` on the report pages: the figures as they stood at the end of that day (empty: now)."""

    ngay = _Day(label=_("As of"), required=False, widget=forms.DateInput(format="%d/%m/%Y", attrs=_DAY_ATTRS))


class LaggingForm(forms.Form):
    """``?cap=`` on the lagging view: which level to rank (default: the committees above the grassroots)."""

    cap = forms.TypedChoiceField(
        label=_("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Committees directly above the grassroots"))]
        + [(v, label) for v, label in OrgLevel.choices if v != OrgLevel.CENTRE],
    )


class ExportForm(forms.Form):
    """The letterhead of the exported report (Hướng dẫn 36-HD/VPTW), proposed from the organisation and
    corrected by the officer. The number may stay blank: the clerk numbers a document when it is signed."""

    ngay = _Day(
        label=_("Figures as of (empty: now)"),
        required=False,
        widget=forms.DateInput(format="%d/%m/%Y", attrs=_DAY_ATTRS),
    )
    issued_on = _Day(
        label=_("Date of the report"), widget=forms.DateInput(format="%d/%m/%Y", attrs=_DAY_ATTRS)
    )
    place = forms.CharField(label=_("Place (before the date)"), max_length=100)
    upper = forms.CharField(
        label=_("Committee directly above (first line, may be empty)"), max_length=200, required=False
    )
    issuer = forms.CharField(label=_("Issuing committee"), max_length=200)
    number = forms.RegexField(
        label=_("Number (leave empty to write it by hand)"),
        regex=r"^[0-9]{1,6}$",
        required=False,
        error_messages={"invalid": _("The number is digits only, for example 15.")},
    )
    symbol = forms.RegexField(
        label=_("Symbol of the committee (after BC/)"),
        regex=r"^[0-9A-ZĐa-zđ.\-]{1,20}$",
        required=False,
        error_messages={"invalid": _("The symbol is letters, for example TU or ĐU.")},
    )
    subject = forms.CharField(label=_("Subject"), max_length=300)
    on_behalf = forms.CharField(label=_("Signing on behalf of"), max_length=100, required=False)
    position = forms.CharField(label=_("Position of the signatory"), max_length=100, required=False)
    signer = forms.CharField(label=_("Name of the signatory (may be empty)"), max_length=100, required=False)
    recipients = forms.CharField(
        label=_("Recipients (one per line)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def letterhead(self) -> Letterhead:
        """The cleaned letterhead (call after ``is_valid()``)."""
        data = self.cleaned_data
        fields = ("issuer", "issued_on", "place", "symbol", "number", "upper", "subject", "on_behalf",
                  "position", "signer", "recipients")  # fmt: skip
        return Letterhead(**{name: data[name] for name in fields})

    def clean_recipients(self) -> tuple[str, ...]:
        lines = tuple(line.strip() for line in self.cleaned_data["recipients"].splitlines() if line.strip())
        if len(lines) > 20:
            raise forms.ValidationError(_("At most 20 recipients."))
        return lines
