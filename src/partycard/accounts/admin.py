from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from partycard.accounts.services import user_save
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

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Through the service, so a role or rights change is in the audit log."""
        user_save(actor=request.user, user=obj)

    fieldsets = (*UserAdmin.fieldsets, (_("Party organisation"), {"fields": ("organisation", "role")}))  # type: ignore[misc]
