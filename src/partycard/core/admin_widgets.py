"""The admin's widgets: an autocomplete safe with any submitted value, and permission lists in Vietnamese.

Django's ``AutocompleteSelect`` looks the submitted value up as a primary key when it redraws a refused
form: a value that is not a number (``?organisation=HUE-TH-01``) raised ``ValueError``, a 500. Values that
cannot be an id are dropped before the lookup; the lookup itself runs on the field's (scoped) queryset.

A permission's name is stored in English when the tables are made ("Can add historical party member"), and
the internal bookkeeping models (a record's history, the audit chain's head, a job's chunks) have
permissions no one grants, since the admin has no page for them. The group and user forms list only the
permissions of the models the admin shows, each worded in Vietnamese from its model's translated name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

__all__ = [
    "PermissionChoiceField",
    "SafeAutocompleteSelect",
    "VietnamesePermissionsMixin",
    "permission_label",
]


class SafeAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        ids = [v for v in value if v and str(v).isascii() and str(v).isdigit() and len(str(v)) < 19]
        return super().optgroups(name, ids, attr)


# Django's four default permissions, by the prefix of their codename.
_VERBS = {
    "add": _("May add %(model)s"),
    "change": _("May change %(model)s"),
    "delete": _("May delete %(model)s"),
    "view": _("May view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """ "<app> | <model> | <what it allows>", in the active language (a permission of its own, declared in a
    model's ``Meta.permissions``, keeps its name, translated when the catalogue has it)."""
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:  # a model that no longer exists
        return f"{content_type.app_label} | {content_type.model} | {permission.name}"
    app = model._meta.app_config.verbose_name if model._meta.app_config else content_type.app_label
    name = str(model._meta.verbose_name)
    verb, _sep, rest = permission.codename.partition("_")
    if verb in _VERBS and rest == model._meta.model_name:
        what = str(_VERBS[verb]) % {"model": name}
    else:
        what = gettext(permission.name)
    return f"{app} | {capfirst(name)} | {what}"


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        assert isinstance(obj, Permission)
        return permission_label(obj)


class VietnamesePermissionsMixin:
    """For a ``ModelAdmin`` whose form has ``permissions`` or ``user_permissions`` (groups, users)."""

    admin_site: Any

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in {"permissions", "user_permissions"}:
            shown = ContentType.objects.get_for_models(*self.admin_site._registry).values()
            kwargs["queryset"] = Permission.objects.filter(content_type__in=list(shown)).select_related(
                "content_type"
            )
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
