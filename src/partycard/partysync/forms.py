"""The sync page's forms: the upload of a party-database export."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partycard.partysync.fileformat import file_format, max_bytes
from partycard.registry.roster import ParseError

__all__ = ["SyncUploadForm"]


class SyncUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Export of the party member database (.xlsx, .csv or .jsonl)"))
    organisation = forms.CharField(
        label=gettext_lazy("Organisation code (empty: your own)"), required=False, max_length=20
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            file_format(upload.name)
        except ParseError as e:
            raise forms.ValidationError(str(e)) from e
        if upload.size > max_bytes():  # refused before it is stored or read
            from partycard.registry.importing import too_large

            raise forms.ValidationError(too_large(upload.size, limit=max_bytes()))
        return upload

    def clean_organisation(self) -> str:
        code = str(self.cleaned_data.get("organisation") or "").strip().upper()
        if code and not code.replace("-", "").isalnum():
            raise forms.ValidationError(_("No such record."))
        return code
