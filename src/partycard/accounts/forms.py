"""The forms of the login steps: the one-time code of the TOTP pages, the password change (one's own, or
the one a superior's temporary password forces), the "forgot password" request and the new password set
through a reset link. The password forms save through ``accounts.services`` (audited)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from partycard.accounts.services import user_password_set
from partycard.accounts.two_factor import Outcome

__all__ = ["AuditedPasswordChangeForm", "AuditedSetPasswordForm", "OtpTokenForm", "PasswordResetRequestForm"]


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


class AuditedPasswordChangeForm(PasswordChangeForm):
    """Django's form (the old password, the new one twice, the project's validators), saved through
    ``user_password_set``: audited, and it clears ``password_change_required``."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "same_password": _("The new password must differ from the current one."),
    }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new = self.cleaned_data.get("new_password1")
        if new and self.cleaned_data.get("old_password") == new:
            self.add_error("new_password1", self.error_messages["same_password"])
        return data

    def save(self, commit: bool = True) -> Any:
        return user_password_set(
            actor=self.user, user=self.user, password=self.cleaned_data["new_password1"], door="self"
        )


class AuditedSetPasswordForm(SetPasswordForm):
    """The new password chosen through a reset link, saved through ``user_password_set`` (audited)."""

    def save(self, commit: bool = True) -> Any:
        return user_password_set(
            actor=self.user, user=self.user, password=self.cleaned_data["new_password1"], door="reset_link"
        )


class PasswordResetRequestForm(forms.Form):
    identifier = forms.CharField(
        label=_("Username, e-mail address or phone number"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
