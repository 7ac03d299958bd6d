"""The admin's autocomplete widget, safe with any submitted value.

Django's ``AutocompleteSelect`` looks the submitted value up as a primary key when it redraws a refused
form: a value that is not a number (``?organisation=HUE-TH-01``) raised ``ValueError``, a 500. Values that
cannot be an id are dropped before the lookup; the lookup itself runs on the field's (scoped) queryset.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.widgets import AutocompleteSelect

__all__ = ["SafeAutocompleteSelect"]


class SafeAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        ids = [v for v in value if v and str(v).isascii() and str(v).isdigit() and len(str(v)) < 19]
        return super().optgroups(name, ids, attr)
