"""The admin manages campaigns (national, so not scoped: only the Centre's administrators hold the
permission). Cases are moved only through the workflow's pages and API, never edited in the admin; their
signed chip images are shown read-only (only ``services.chip_image_sign`` writes them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from partycard.audit.services import audit_record, diff, snapshot
from partycard.core.scope import scope_path
from partycard.exchange.models import Campaign, ChipImageRecord


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin[Campaign]):
    list_display = ["code", "name", "cut_off", "is_open", "removal_months", "abroad_card_holder"]
    list_filter = ["is_open"]
    search_fields = ["code", "name"]
    fields = [
        "code",
        "name",
        "cut_off",
        "is_open",
        "removal_months",
        "postpone_under_discipline",
        "postpone_under_inspection",
        "postpone_transfer_in_progress",
        "require_citizen_id",
        "abroad_card_holder",
    ]
    # The organisation admin's search (scoped; only national officers reach this page): not a raw id
    # widget, which would print the name of any id it is given.
    autocomplete_fields = ["abroad_card_holder"]

    def has_delete_permission(self, request: Any, obj: Campaign | None = None) -> bool:
        return False  # a campaign with cases is history; close it instead

    def has_add_permission(self, request: Any) -> bool:
        return _national(request) and super().has_add_permission(request)

    def has_change_permission(self, request: Any, obj: Campaign | None = None) -> bool:
        """A campaign's rules decide who is eligible nationwide: only who holds the whole tree changes
        them, whatever model permissions a province's staff were given."""
        return _national(request) and super().has_change_permission(request, obj)

    def save_model(self, request: Any, obj: Campaign, form: Any, change: bool) -> None:
        """Save and audit in one transaction (rule changes alter who is eligible)."""
        with transaction.atomic():
            before = snapshot(Campaign.objects.get(pk=obj.pk)) if change else {}
            super().save_model(request, obj, form, change)
            action = "change" if change else "create"
            audit_record(actor=request.user, action=action, obj=obj, changes=diff(before, snapshot(obj)))


def _national(request: Any) -> bool:
    return scope_path(request.user) == ""


_CHIP_IMAGE_FIELDS: tuple[str, ...] = (
    "case",
    "card_number",
    "signer_label",
    "signer_serial",
    "sod_sha256",
    "chip_key_label",
    "file_sizes",
    "signed_at",
    "created_at",
)


@admin.register(ChipImageRecord)
class ChipImageRecordAdmin(admin.ModelAdmin[ChipImageRecord]):
    list_display = ["card_number", "case", "signer_serial", "signed_at"]
    search_fields = ["card_number", "sod_sha256", "chip_key_label"]
    list_select_related = ["case"]
    fields = _CHIP_IMAGE_FIELDS
    readonly_fields = _CHIP_IMAGE_FIELDS  # nothing is edited here

    @admin.display(description=_("chip files"))
    def file_sizes(self, obj: ChipImageRecord) -> str:
        """Each file's ID and size (the bytes themselves go to the manufacturer, not to the screen)."""
        return ", ".join(f"{fid:04X}: {len(data)} B" for fid, data in obj.file_set().items())

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: ChipImageRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: ChipImageRecord | None = None) -> bool:
        return False
