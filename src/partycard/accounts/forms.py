"""The one-time code form of the TOTP pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from partycard.accounts.two_factor import Outcome

__all__ = ["OtpTokenForm"]


class CodeField(forms.CharField):
    """Six digits; apps show the code as "123 456", so spaces are dropped before validation."""

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).replace(" ", "")


class OtpTokenForm(forms.Form):
    otp_token = CodeField(
        label=_("Six-digit code"),
        validators=[RegexValidator(r"^[0-9]{6}\Z", _("Enter the six digits shown in the app."))],
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "maxlength": "7",
                "autofocus": True,
            }
        ),
    )

    REFUSALS = {
        Outcome.WRONG_CODE: _("The code is wrong or has expired."),
        Outcome.NO_DEVICE: _("The code is wrong or has expired."),
        Outcome.THROTTLED: _("Too many wrong codes. Wait a moment, then try again."),
    }

    def refuse(self, outcome: Outcome) -> None:
        """Show why the service refused the code, on the code field."""
        self.add_error("otp_token", self.REFUSALS[outcome])
