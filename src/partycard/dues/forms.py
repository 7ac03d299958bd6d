"""Input shapes of the dues pages: the month's bulk record, a refusal's reason, the statistics' filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partycard.dues.models.payment import MAX_AMOUNT

__all__ = ["RecordForm", "RefuseForm", "parse_amount"]


def parse_amount(text: str) -> int | None:
    """An amount as typed on a Vietnamese page ("50.000", "50 000", "50000") in đồng; None if empty.

    Raises:
        ValueError: not a whole number of đồng.
    """
    cleaned = text.strip().replace(".", "").replace(" ", "").replace("\u00a0", "").replace(",", "")
    if not cleaned:
        return None
    if not cleaned.isdecimal() or not cleaned.isascii():
        raise ValueError(text)
    return int(cleaned)


class RecordForm(forms.Form):
    """One checkbox and one amount per member of the month's list (``paid_<id>``, ``amount_<id>``); the
    members ticked are recorded with their amount."""

    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args: Any, member_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member_ids = member_ids
        for pk in member_ids:
            self.fields[f"paid_{pk}"] = forms.BooleanField(required=False)
            self.fields[f"amount_{pk}"] = forms.CharField(required=False, max_length=20)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amounts: dict[int, int] = {}
        for pk in self.member_ids:
            if not data.get(f"paid_{pk}"):
                continue
            try:
                amount = parse_amount(data.get(f"amount_{pk}") or "")
            except ValueError:
                amount = -1
            if amount is None or not 0 < amount <= MAX_AMOUNT:
                self.add_error(
                    f"amount_{pk}", _("Give the amount paid, in đồng (more than 0, at most 10.000.000).")
                )
                continue
            amounts[pk] = amount
        if not amounts and not self.errors:
            raise forms.ValidationError(_("Tick the members who paid, with the amount each paid."))
        data["amounts"] = amounts
        return data


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("reason for refusing"), max_length=300)
