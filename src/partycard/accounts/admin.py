import contextlib
from contextvars import ContextVar
from typing import Any

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDevice as BaseTOTPDevice

from partycard.accounts.roles import Action
from partycard.accounts.services import user_password_set, user_save
from partycard.accounts.two_factor import totp_device_remove, totp_device_update
from partycard.core.admin_widgets import SafeAutocompleteSelect, VietnamesePermissionsMixin
from partycard.core.scope import scope_path

from .models import TOTPDevice, User

# The officer using the change-password page: Django's view builds the form itself, without the request.
_password_actor: ContextVar[Any] = ContextVar("partycard_password_actor", default=None)


class AuditedAdminPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's change-password form, saving through ``user_password_set`` so the change is audited."""

    def save(self, commit: bool = True) -> Any:
        password = self.cleaned_data["password1"] if self.cleaned_data.get("set_usable_password") else None
        return user_password_set(actor=_password_actor.get(), user=self.user, password=password, door="admin")


@admin.register(User)
class PartycardUserAdmin(VietnamesePermissionsMixin, UserAdmin):
    change_password_form = AuditedAdminPasswordChangeForm

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

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """Django's page, in one transaction with the officer known to the form (for the audit row)."""
        token = _password_actor.set(request.user)
        try:
            with transaction.atomic():
                return super().user_change_password(request, id, form_url)
        finally:
            _password_actor.reset(token)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Through the service, so a role or rights change is in the audit log."""
        user_save(actor=request.user, user=obj)

    fieldsets = (  # type: ignore[misc]
        *UserAdmin.fieldsets,
        (_("Party organisation"), {"fields": ("organisation", "role", "phone")}),
    )


# Django's group page, with the permissions listed in Vietnamese (core/admin_widgets.py).
with contextlib.suppress(NotRegistered):
    admin.site.unregister(Group)


@admin.register(Group)
class PartycardGroupAdmin(VietnamesePermissionsMixin, GroupAdmin):
    pass


# django-otp's own TOTP model is no longer used (migration 0004 moved its devices here, encrypted): its
# admin page would let a plain-hex device be added.
with contextlib.suppress(NotRegistered):
    admin.site.unregister(BaseTOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    """Officers' authenticator devices: see, rename, confirm, clear throttling, remove. Never the secret;
    no adding here (each officer enrols their own device after login); every change is audited."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at", "drift", "throttling_failure_count")
    readonly_fields = ("user", "created_at", "last_used_at")

    def get_queryset(self, request: HttpRequest) -> Any:
        """Staff see the devices of the accounts of their own subtree (as for the accounts themselves)."""
        qs = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return qs
        prefix = scope_path(request.user)
        return qs.filter(user__organisation__path__startswith=prefix) if prefix is not None else qs.none()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: TOTPDevice, form: Any, change: bool) -> None:
        totp_device_update(actor=request.user, device=obj)

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        totp_device_remove(actor=request.user, device=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for device in queryset:
                totp_device_remove(actor=request.user, device=device)
