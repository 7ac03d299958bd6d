"""The admin manages campaigns (national, so not scoped: only the Centre's administrators hold the
permission). Cases are moved only through the workflow's pages and API, never edited in the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction

from partycard.audit.services import audit_record, diff, snapshot
from partycard.exchange.models import Campaign


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin[Campaign]):
    list_display = ["code", "name", "cut_off", "is_open", "max_dues_months_unpaid"]
    list_filter = ["is_open"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request: Any, obj: Campaign | None = None) -> bool:
        return False  # a campaign with cases is history; close it instead

    def save_model(self, request: Any, obj: Campaign, form: Any, change: bool) -> None:
        """Save and audit in one transaction (rule changes alter who is eligible)."""
        with transaction.atomic():
            before = snapshot(Campaign.objects.get(pk=obj.pk)) if change else {}
            super().save_model(request, obj, form, change)
            action = "change" if change else "create"
            audit_record(actor=request.user, action=action, obj=obj, changes=diff(before, snapshot(obj)))
