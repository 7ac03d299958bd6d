"""Cards in the admin: read only and scoped. A card changes only through ``cards.services`` (its states
and history are the lifecycle's), so the admin shows it and its history and edits nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from partycard.accounts.roles import Action
from partycard.cards.models import Card, CardEvent

_FIELDS: tuple[str, ...] = (
    "number",
    "kind",
    "member",
    "case",
    "state",
    "level",
    "holder",
    "chip_key_fingerprint",
    "sod_sha256",
    "status_list",
    "status_index",
    "note",
    "created_at",
    "updated_at",
)


class CardEventInline(admin.TabularInline[CardEvent, Card]):
    model = CardEvent
    fields = ("at", "transition", "from_state", "to_state", "level", "holder", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Card)
class CardAdmin(admin.ModelAdmin[Card]):
    list_display = ("number", "kind", "state", "level", "holder", "updated_at")
    list_filter = ("kind", "state", "level")
    search_fields = ("=number",)
    list_select_related = ("holder",)
    fields = _FIELDS
    readonly_fields = _FIELDS
    inlines = (CardEventInline,)

    def get_queryset(self, request: HttpRequest) -> Any:
        """Scoped like every other view: a staff user sees only their subtree's cards."""
        return Card.objects.scoped(request.user, Action.VIEW_CARD)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Card | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Card | None = None) -> bool:
        return False
