"""The population pages' forms: start a check, correct a record from a task, confirm it with a note."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partycard.population.models import TaskReason, TaskStatus
from partycard.population.services import NOTE_MAX
from partycard.registry.choices import Gender

__all__ = ["ConfirmForm", "CorrectForm", "StartForm", "TaskFilterForm"]


class StartForm(forms.Form):
    organisation = forms.CharField(label=_("Organisation code"), max_length=50)


class CorrectForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=100)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), input_formats=["%d/%m/%Y", "%Y-%m-%d"], help_text=_("dd/mm/yyyy")
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    citizen_id = forms.CharField(label=_("Citizen ID"), max_length=12, required=False)
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, required=False, widget=forms.Textarea)


class ConfirmForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, widget=forms.Textarea)


class TaskFilterForm(forms.Form):
    to_chuc = forms.CharField(label=_("Organisation code"), max_length=50, required=False)
    trang_thai = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *TaskStatus.choices], required=False
    )
    ly_do = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("All")), *TaskReason.choices], required=False
    )
