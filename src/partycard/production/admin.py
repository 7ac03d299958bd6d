"""Production batches in the admin: read only and scoped. A batch changes only through
``production.services`` (its files and reports are checked there), so the admin shows and edits nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from partycard.accounts.roles import Action
from partycard.production.models import Batch

_FIELDS: tuple[str, ...] = (
    "code",
    "province",
    "state",
    "layout",
    "card_count",
    "produced",
    "spoiled",
    "signer_label",
    "batch_sha256",
    "keys_sha256",
    "sod_sha256",
    "report_sha256",
    "created_by",
    "created_at",
    "released_by",
    "released_at",
    "closed_at",
)


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin[Batch]):
    list_display = ("code", "province", "state", "card_count", "produced", "spoiled", "created_at")
    list_filter = ("state",)
    search_fields = ("=code",)
    list_select_related = ("province",)
    fields = _FIELDS
    readonly_fields = _FIELDS

    def get_queryset(self, request: HttpRequest) -> Any:
        return Batch.objects.scoped(request.user, Action.VIEW_BATCH)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Batch | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Batch | None = None) -> bool:
        return False
