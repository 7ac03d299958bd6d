"""Forms of the registry: input shape only; the rules are the services' and ``rules.member_issues``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from partycard.core.errors import DomainError
from partycard.registry import services
from partycard.registry.models import Organisation


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
        return data
