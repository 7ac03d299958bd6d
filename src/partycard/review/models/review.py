"""What went out for an offline review and what came back (issue 17).

``ReviewExport`` records each workbook or paper form handed out: who, when, for which organisation, which
members and the digest of the base copy the workbook carries, so that the import knows where a workbook
came from and that its base is the one sent. ``ReviewImport`` holds what a workbook brought back as a
proposal (each field's base, current and returned value, the merge's outcome) until an officer decides
the conflicts and applies it; the import itself writes nothing to the members.

Both are scoped by the organisation reviewed (its subtree path), as the pages and the API read them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager

__all__ = ["ReviewExport", "ReviewImport"]


class ReviewExport(models.Model):
    class Kind(models.TextChoices):
        WORKBOOK = "workbook", _("Review workbook")
        PAPER = "paper", _("Paper review form")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WORKBOOK)
    organisation = models.ForeignKey(
        "registry.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The name as it was, kept with the record: it is signed into the workbook.
    exported_by_name = models.CharField(_("exported by"), max_length=150, blank=True)
    exported_at = models.DateTimeField(_("exported at"))
    member_count = models.PositiveIntegerField(_("members"), default=0)
    members = models.JSONField(_("members"), default=list)  # the member ids, sorted
    # SHA-256 of the canonical base copy (hex); blank for a paper form.
    digest = models.CharField(_("digest"), max_length=64, blank=True)

    objects = ScopedManager["ReviewExport"]()
    scope_path = "organisation__path"
    scope_own = None

    class Meta:
        verbose_name = _("review export")
        verbose_name_plural = _("review exports")
        ordering = ["-exported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ReviewImport(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Awaiting a decision")
        APPLIED = "applied", _("Applied")

    export = models.ForeignKey(
        ReviewExport, verbose_name=_("review export"), on_delete=models.PROTECT, related_name="imports"
    )
    organisation = models.ForeignKey(
        "registry.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who brought the workbook back (an officer or a Youth Union volunteer): named in the history's reason.
    imported_by_name = models.CharField(_("brought back by"), max_length=150, blank=True)
    imported_at = models.DateTimeField(_("imported at"))
    file_digest = models.CharField(max_length=64)  # SHA-256 of the uploaded file
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    # {"changes": [...], "deleted": [...], "missing": [...]}: see review/proposal.py.
    proposal = models.JSONField(default=dict)
    change_count = models.PositiveIntegerField(_("changes"), default=0)
    conflict_count = models.PositiveIntegerField(_("conflicts"), default=0)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_by_name = models.CharField(_("applied by"), max_length=150, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    applied_count = models.PositiveIntegerField(_("members changed"), default=0)

    objects = ScopedManager["ReviewImport"]()
    scope_path = "organisation__path"
    scope_own = None

    class Meta:
        verbose_name = _("review import")
        verbose_name_plural = _("review imports")
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.pk}"
