"""Forms of the registry: input shape only; the rules are the services' and ``rules.member_issues``."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partycard.accounts.roles import Action
from partycard.core.errors import DomainError
from partycard.registry import services
from partycard.registry.models import Member, Organisation


class OrganisationAdminForm(forms.ModelForm):
    """Shows a refused parent (wrong level, own subtree) as a field error instead of a server error."""

    class Meta:
        model = Organisation
        fields = ["code", "name", "level", "parent", "dissolved_on"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        level = data.get("level", self.instance.level if self.instance.pk else None)
        parent = data.get("parent")
        if level is None:
            return data
        try:
            services.check_parent(level=int(level), parent=parent)
        except DomainError as e:
            self.add_error("parent", e.message)
            return data
        if self.instance.pk and parent is not None and parent.path.startswith(self.instance.path):
            self.add_error(
                "parent", _("%(name)s cannot be moved into its own subtree.") % {"name": self.instance.name}
            )
        if self.instance.pk and data.get("dissolved_on") and "dissolved_on" in self.changed_data:
            try:
                services.check_dissolvable(self.instance)
            except DomainError as e:
                self.add_error("dissolved_on", e.message)
        return data


DATE_WIDGET = forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})

MEMBER_FIELDS = [
    "full_name",
    "birth_name",
    "alias",
    "gender",
    "date_of_birth",
    "place_of_birth",
    "home_town",
    "permanent_address",
    "temporary_address",
    "ethnicity",
    "religion",
    "general_education",
    "qualification",
    "occupation",
    "citizen_id",
    "file_number",
    "old_card_number",
    "date_admitted",
    "date_official",
    "status",
    "status_changed_on",
    "phone",
    "under_discipline",
    "under_inspection",
    "dues_unpaid_months",
    "dues_unpaid_good_reason",
    "activities_skipped_months",
    "activities_skipped_good_reason",
    "activities_suspended",
    "transfer_in_progress",
    "abroad",
]

_MONTH_TOKEN = re.compile(r"(?:(0?[1-9]|1[0-2])[/.-]([0-9]{4})|([0-9]{4})-(0[1-9]|1[0-2]))")


class MonthsField(forms.CharField):
    """Recorded months (Charter Art. 8(2): months of dues unpaid, of activities skipped) typed as
    "MM/YYYY" separated by commas or spaces; the model stores them as a sorted list of "YYYY-MM".

    Used for the member's JSON month lists in the form and the admin (it takes, and drops, the JSON
    field's ``encoder``/``decoder``)."""

    def __init__(self, *, encoder: Any = None, decoder: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "MM/YYYY, MM/YYYY"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(
                f"{m[5:7]}/{m[:4]}" if isinstance(m, str) and len(m) == 7 else str(m) for m in value
            )
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            return sorted(set(map(str, value)))
        text = super().to_python(value) or ""
        months: set[str] = set()
        for token in re.split(r"[,;\s]+", text.strip()):
            if not token:
                continue
            found = _MONTH_TOKEN.fullmatch(token)
            if found is None:
                raise ValidationError(
                    _("'%(value)s' is not a month (expected MM/YYYY).") % {"value": token}, code="invalid"
                )
            month, year = (found[1], found[2]) if found[1] else (found[4], found[3])
            months.add(f"{year}-{int(month):02d}")
        return sorted(months)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(initial or []) != self.to_python(data or "")
        except ValidationError:
            return True


class MemberForm(forms.ModelForm):
    """The member record as officers type it. Validation is the model's (``rules.member_issues``, each error
    on its field, in Vietnamese); the view saves through the services, which check again in the transaction.

    A new member needs the code of a cell in the officer's scope; an existing member's cell changes only by
    a transfer, which is a procedure of its own.
    """

    organisation_code = forms.CharField(label=gettext_lazy("Party cell code"), max_length=20, required=False)
    reason = forms.CharField(label=gettext_lazy("Reason for the change"), max_length=100, required=False)

    class Meta:
        model = Member
        fields = MEMBER_FIELDS
        field_classes = {"dues_unpaid_months": MonthsField, "activities_skipped_months": MonthsField}
        widgets = {
            "date_of_birth": DATE_WIDGET,
            "date_admitted": DATE_WIDGET,
            "date_official": DATE_WIDGET,
            "status_changed_on": DATE_WIDGET,
        }

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        for name in ("date_of_birth", "date_admitted", "date_official", "status_changed_on"):
            field = self.fields[name]
            assert isinstance(field, forms.DateField)
            field.input_formats = ["%d/%m/%Y", "%Y-%m-%d"]
        if self.instance.pk:
            del self.fields["organisation_code"]
        else:
            self.fields["organisation_code"].required = True
            del self.fields["reason"]

    def clean_organisation_code(self) -> str:
        code = self.cleaned_data["organisation_code"].strip().upper()
        org = Organisation.objects.scoped(self.actor, Action.ADD_MEMBER).filter(code=code).first()
        if org is None:  # outside the scope reads the same as unknown
            raise forms.ValidationError(
                _("No organisation in your scope has code '%(code)s'.") % {"code": code}
            )
        self.instance.organisation = org  # the model's clean checks that it is a cell
        return code

    def changes(self) -> dict[str, Any]:
        """The model fields the officer changed, with their new values."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name in MEMBER_FIELDS}

    def add_service_errors(self, error: ValidationError) -> None:
        """Put the services' errors (a race: e.g. a citizen ID taken meanwhile) on their fields."""
        for field, messages in error.message_dict.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Roster file (.xlsx or .csv)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Only .xlsx or .csv files can be imported."))
        if upload.size > settings.PARTYCARD["IMPORT_MAX_BYTES"]:  # refused before it is stored or read
            from partycard.registry.importing import too_large

            raise forms.ValidationError(too_large(upload.size))
        return upload
