from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class PartycardUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "organisation", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    autocomplete_fields = ("organisation",)
    fieldsets = (*UserAdmin.fieldsets, (_("Party organisation"), {"fields": ("organisation", "role")}))  # type: ignore[misc]
