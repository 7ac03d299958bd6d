"""The input shapes of the review pages (the rules live in the services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

__all__ = ["UploadForm", "decisions_from"]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("the review workbook brought back (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


def decisions_from(data: dict[str, str] | object) -> dict[str, str]:
    """The conflicts' decisions posted as ``d-<member>:<field>`` = ``ours`` / ``theirs``."""
    out: dict[str, str] = {}
    for key in getattr(data, "keys", lambda: [])():
        if isinstance(key, str) and key.startswith("d-"):
            value = data[key]  # type: ignore[index]
            if value in ("ours", "theirs"):
                out[key[2:]] = value
    return out
