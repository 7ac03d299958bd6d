"""The input shape of the assignment form: a volunteer of the subtree, cells ticked or typed by code, the
period and a note (the rules live in ``assignments_services``)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partycard.accounts.roles import Action
from partycard.registry.models import Organisation
from partycard.review import assignments_selectors as selectors

__all__ = ["AssignmentForm", "RevokeForm"]


class AssignmentForm(forms.Form):
    volunteer = forms.TypedChoiceField(label=_("Volunteer"), coerce=int)
    cells = forms.TypedMultipleChoiceField(
        label=_("Party cells"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    codes = forms.CharField(
        label=_("Codes of party cells"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Or type the cells' codes, separated by commas, spaces or new lines."),
    )  # fmt: skip
    starts_on = forms.DateField(label=_("First day"), help_text=_("dd/mm/yyyy"))
    ends_on = forms.DateField(label=_("Last day (inclusive)"), help_text=_("dd/mm/yyyy"))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        volunteer_field = self.fields["volunteer"]
        assert isinstance(volunteer_field, forms.TypedChoiceField)
        volunteer_field.choices = [
            (u.pk, f"{u.full_name or u.username} ({u.username})")
            for u in selectors.assignable_volunteers(actor)
        ]
        cells = list(selectors.assignable_cells(actor)[: selectors.FORM_CELLS_MAX + 1])
        self.too_many_cells = len(cells) > selectors.FORM_CELLS_MAX
        cells_field = self.fields["cells"]
        assert isinstance(cells_field, forms.TypedMultipleChoiceField)
        cells_field.choices = [] if self.too_many_cells else [(c.pk, f"{c.name} ({c.code})") for c in cells]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        picked = set(data.get("cells") or [])
        codes = sorted({c.upper() for c in re.split(r"[\s,;]+", data.get("codes") or "") if c})
        found = {
            o.code: o
            for o in Organisation.objects.scoped(self.actor, Action.ASSIGN_VOLUNTEER).filter(code__in=codes)
        }
        missing = [c for c in codes if c not in found]
        if missing:
            self.add_error(
                "codes", _("No organisation of your scope has the code %(code)s.") % {"code": missing[0]}
            )
        chosen = list(Organisation.objects.scoped(self.actor, Action.ASSIGN_VOLUNTEER).filter(pk__in=picked))
        if len(chosen) != len(picked):
            self.add_error("cells", _("Choose cells from the list."))
        data["organisations"] = list({o.pk: o for o in [*chosen, *found.values()]}.values())
        if not data["organisations"] and not self.errors:
            self.add_error("cells", _("Choose at least one party cell."))
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
