"""The officer pages' forms: input shape only. The organisation is typed as its code and looked up in the
actor's scope (a code outside it reads as unknown); the role offers what the actor may grant. The services
check all of it again in their transaction."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partycard.accounts.models import PHONE_VALIDATOR, User
from partycard.core.errors import DomainError
from partycard.officers import rules, selectors
from partycard.officers.services import Delivery, OfficerDetails

__all__ = ["OfficerForm", "PasswordResetForm", "service_errors_show"]

DELIVERY_CHOICES = [
    (Delivery.TEMPORARY.value, gettext_lazy("Show me a temporary password to hand over")),
    (Delivery.EMAIL.value, gettext_lazy("Send a link by e-mail")),
    (Delivery.SMS.value, gettext_lazy("Send a link by SMS")),
]


class OfficerForm(forms.Form):
    """Create (with ``username`` and ``delivery``) or edit an officer account."""

    username = forms.CharField(
        label=gettext_lazy("Username"),
        max_length=150,
        help_text=gettext_lazy("Lower-case letters, digits and . - _ (for example nguyenvanan.hn)."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=301)
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        required=False,
        max_length=15,
        validators=[PHONE_VALIDATOR],
        widget=forms.TextInput(attrs={"inputmode": "tel", "placeholder": "0912345678"}),
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"))
    organisation = forms.CharField(
        label=gettext_lazy("Organisation code"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "HN-BD-01-01"}),
    )
    delivery = forms.ChoiceField(
        label=gettext_lazy("First password"),
        choices=DELIVERY_CHOICES,
        initial=Delivery.TEMPORARY.value,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, actor: Any, officer: User | None = None, **kwargs: Any) -> None:
        if officer is not None:
            kwargs.setdefault(
                "initial",
                {
                    "full_name": officer.full_name,
                    "email": officer.email,
                    "phone": officer.phone,
                    "role": officer.role,
                    "organisation": officer.organisation.code if officer.organisation else "",
                },
            )
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.officer = officer
        role_field = cast(forms.ChoiceField, self.fields["role"])
        role_field.choices = [(r.value, r.label) for r in rules.grantable_roles(actor)]
        if officer is not None:
            del self.fields["username"]
            del self.fields["delivery"]
        self.organisation_obj: Any = None

    def clean_username(self) -> str:
        value = str(self.cleaned_data["username"]).strip().lower()
        if not value or not all(ch.isascii() and (ch.isalnum() or ch in ".-_") for ch in value):
            raise ValidationError(_("Use only lower-case letters without accents, digits and . - _"))
        return value

    def clean_organisation(self) -> str:
        code = str(self.cleaned_data["organisation"]).strip().upper()
        org = selectors.organisation_by_code(self.actor, code)
        if org is None:
            raise ValidationError(
                _("No organisation in your scope has code '%(code)s'.") % {"code": code}, code="unknown"
            )
        self.organisation_obj = org
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone") and "email" not in self.errors:
            self.add_error(
                "email", _("Give an e-mail address or a phone number (or both): reset links are sent there.")
            )
        delivery = data.get("delivery")
        if delivery == Delivery.EMAIL and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("A link by e-mail needs an e-mail address."))
        if delivery == Delivery.SMS and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("A link by SMS needs a phone number."))
        return data

    def details(self) -> OfficerDetails:
        data = self.cleaned_data
        return OfficerDetails(
            full_name=data["full_name"],
            email=data.get("email") or "",
            phone=data.get("phone") or "",
            role=data["role"],
            organisation=self.organisation_obj,
        )


class PasswordResetForm(forms.Form):
    """How the officer gets a new password: a temporary one shown here, or a link sent to them."""

    delivery = forms.ChoiceField(
        label=gettext_lazy("New password"),
        choices=DELIVERY_CHOICES,
        initial=Delivery.TEMPORARY.value,
        widget=forms.RadioSelect,
    )


def service_errors_show(form: forms.Form, error: Exception) -> None:
    """Show a service's refusal on the form: a ``ValidationError`` on its fields, a ``DomainError`` on its
    field (or the whole form). Fields the form lacks go to the whole form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        return
    if isinstance(error, DomainError):
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return
    form.add_error(None, "; ".join(getattr(error, "messages", [str(error)])))
