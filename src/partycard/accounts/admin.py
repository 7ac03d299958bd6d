from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from partycard.accounts.roles import Action
from partycard.accounts.services import user_save
from partycard.core.admin_widgets import SafeAutocompleteSelect
from partycard.core.scope import scope_path

from .models import User


@admin.register(User)
class PartycardUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "organisation", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    autocomplete_fields = ("organisation",)

    def get_queryset(self, request: HttpRequest) -> Any:
        """Staff see the accounts of their own subtree only (a superuser sees every account)."""
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        prefix = scope_path(request.user)
        return qs.filter(organisation__path__startswith=prefix) if prefix is not None else qs.none()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """Only organisations of the officer's subtree can be given to an account (``user_save`` checks it
        again)."""
        if db_field.name == "organisation":
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            if not request.user.is_superuser:
                model = db_field.remote_field.model
                kwargs["queryset"] = model.objects.scoped(request.user, Action.VIEW_ORGANISATION)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Rights beyond one's own are granted by a superuser only: otherwise the change-user permission
        would let an officer make anyone, themself included, a superuser."""
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return (*fields, "is_superuser", "groups", "user_permissions")

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Through the service, so a role or rights change is in the audit log."""
        user_save(actor=request.user, user=obj)

    fieldsets = (*UserAdmin.fieldsets, (_("Party organisation"), {"fields": ("organisation", "role")}))  # type: ignore[misc]
