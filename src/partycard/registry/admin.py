"""The Django admin for the registry (in Vietnamese through the vi locale). Writes still go via services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from partycard.accounts.roles import Action
from partycard.core.admin_widgets import SafeAutocompleteSelect
from partycard.registry import services
from partycard.registry.choices import MEMBER_HOLDING_LEVELS
from partycard.registry.forms import MonthsField, OrganisationAdminForm
from partycard.registry.models import Ethnicity, Member, Organisation


class ScopedHistoryAdmin(SimpleHistoryAdmin):
    """simple_history's history pages look the object up on the model's default manager, not through
    ``get_queryset``: check the scope first, so an object outside it is a 404 there too (found by the
    leak matrix)."""

    def _in_scope_or_404(self, request: HttpRequest, object_id: str) -> None:
        if (
            not str(object_id).isascii()
            or not str(object_id).isdigit()
            or not self.get_queryset(request).filter(pk=object_id).exists()
        ):
            raise Http404(_("No such record."))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Registry records are never deleted: a member leaves by a status change, an organisation is
        dissolved (``dissolved_on``); both keep their history."""
        return False

    # The foreign keys to organisations, and the action whose scope their choices come from.
    scoped_foreign_keys: dict[str, Action] = {}

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """Only organisations of the officer's scope are offered (the services check it again)."""
        if db_field.name in self.scoped_foreign_keys:
            choices = Organisation.objects.scoped(request.user, self.scoped_foreign_keys[db_field.name])
            if db_field.name == "organisation":
                choices = choices.filter(level__in=MEMBER_HOLDING_LEVELS)
            kwargs["queryset"] = choices
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """An add page's ``?organisation=``/``?parent=`` prefill is kept only for an id in the scope: the
        widget would otherwise look up (and a raw-id one print) whatever it is given."""
        initial = super().get_changeform_initial_data(request)
        for name, action in self.scoped_foreign_keys.items():
            value = initial.get(name)
            if value is None:
                continue
            ok = str(value).isascii() and str(value).isdigit()
            if not ok or not Organisation.objects.scoped(request.user, action).filter(pk=value).exists():
                del initial[name]
        return initial

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        self._in_scope_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> Any:
        self._in_scope_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Ethnicity)
class EthnicityAdmin(admin.ModelAdmin):
    """The 54 groups are reference data loaded by a migration: read-only here (a delete page would also
    list every member of the group, nationally)."""

    list_display = ("code", "name")
    search_fields = ("name",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(ScopedHistoryAdmin):
    form = OrganisationAdminForm

    def get_queryset(self, request: HttpRequest) -> Any:
        """The admin is scoped like every other view (a staff user sees only their subtree)."""
        return Organisation.objects.scoped(request.user, Action.VIEW_ORGANISATION)

    list_display = ("code", "name", "level", "member_count")
    list_filter = ("level",)
    search_fields = ("code", "name")
    # Not raw_id_fields: its widget prints the name of any id it is given, in scope or not.
    autocomplete_fields = ("parent",)
    scoped_foreign_keys = {"parent": Action.CHANGE_ORGANISATION}
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Organisation | None = None) -> tuple[str, ...]:
        # Codes and levels are stable; the path and counter are derived.
        return ("code", "level", "path", "member_count") if obj else ("path", "member_count")

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        """Create, move, rename or dissolve through the services (paths, level rules, history)."""
        data = form.cleaned_data
        if not change:
            created = services.organisation_create(
                actor=request.user, code=data["code"], name=data["name"], level=data["level"],
                parent=data.get("parent"),
            )  # fmt: skip
            obj.pk, obj.path = created.pk, created.path
            return
        if "parent" in form.changed_data and data.get("parent") is not None:
            services.organisation_move(actor=request.user, organisation=obj, new_parent=data["parent"])
        edits = {f: data[f] for f in form.changed_data if f in services.ORGANISATION_EDITABLE}
        if edits:
            services.organisation_update(actor=request.user, organisation=obj, changes=edits)


@admin.register(Member)
class MemberAdmin(ScopedHistoryAdmin):
    list_display = ("full_name", "gender", "date_of_birth", "status", "organisation")
    list_filter = ("status", "gender")
    search_fields = ("=citizen_id", "=file_number", "name_search")
    autocomplete_fields = ("organisation",)  # scoped lists (raw_id_fields printed any id's name)
    scoped_foreign_keys = {"organisation": Action.CHANGE_MEMBER}
    list_select_related = ("organisation",)
    show_full_result_count = False
    # The member's JSON fields are the recorded months (Charter Art. 8(2)), typed as MM/YYYY.
    formfield_overrides = {models.JSONField: {"form_class": MonthsField}}

    def get_queryset(self, request: HttpRequest) -> Any:
        return Member.objects.scoped(request.user, Action.VIEW_MEMBER).select_related("organisation")

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        from partycard.core.text import fold

        return super().get_search_results(request, queryset, fold(search_term) if search_term else "")

    def save_model(self, request: HttpRequest, obj: Member, form: Any, change: bool) -> None:
        """Route admin edits through the services so counters, history and rules apply."""
        data = {f: form.cleaned_data[f] for f in form.changed_data}
        if change:
            services.member_update(actor=request.user, member=obj, changes=data)
        else:
            created = services.member_create(
                actor=request.user,
                data={f.name: getattr(obj, f.name) for f in Member._meta.concrete_fields if f.name != "id"},
            )
            obj.pk = created.pk
