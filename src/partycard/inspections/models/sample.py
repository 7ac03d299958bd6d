"""The cases drawn for an inspection, and the team's finding on each.

Both carry the inspection's path (the inspected organisation's), not the case's: who may see the inspection
sees its sample and findings, and an officer below the inspected organisation sees neither.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager
from partycard.inspections.choices import FindingKind

__all__ = ["Finding", "SampledCase"]


class SampledCase(models.Model):
    """One case drawn for an inspection: the case, its cell when drawn (the stratum) and its place in the
    draw. A case is drawn at most once per inspection."""

    inspection = models.ForeignKey("inspections.Inspection", on_delete=models.CASCADE, related_name="sample")
    case = models.ForeignKey("exchange.Case", on_delete=models.PROTECT, related_name="+")
    cell = models.ForeignKey(
        "registry.Organisation", verbose_name=_("party cell"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField(_("no."))
    path = models.CharField(max_length=255, db_index=True)  # the inspection's

    objects = ScopedManager["SampledCase"]()
    scope_path = "path"
    scope_own = None

    class Meta:
        verbose_name = _("sampled case")
        verbose_name_plural = _("sampled cases")
        ordering = ["inspection", "position"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "case"], name="inspections_case_once"),
            models.UniqueConstraint(fields=["inspection", "position"], name="inspections_position_once"),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id} #{self.position}: {self.case_id}"


class Finding(models.Model):
    """What the team found on one sampled case: correct, or which part was wrong, and a note saying what."""

    sampled = models.OneToOneField(SampledCase, on_delete=models.CASCADE, related_name="finding")
    kind = models.CharField(_("finding"), max_length=24, choices=FindingKind.choices)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    path = models.CharField(max_length=255, db_index=True)  # the inspection's
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    objects = ScopedManager["Finding"]()
    scope_path = "path"
    scope_own = None

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["sampled__position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in FindingKind]), name="inspections_finding_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sampled_id}: {self.kind}"

    def clean(self) -> None:
        """A finding other than "correct" says what was wrong: the organisation has to remedy it."""
        super().clean()
        if self.kind and self.kind != FindingKind.CORRECT and not (self.note or "").strip():
            raise ValidationError({"note": [str(_("Say what was wrong with this case."))]})
