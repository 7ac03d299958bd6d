"""An inspection of one organisation's exchange work by an Inspection Commission (Ủy ban Kiểm tra).

Directive 51-CT/TW gives the Inspection Commissions the duty to check the exchange; Regulation 22-QĐ/TW
governs how: a decision to inspect (its number), a team that verifies, a notice of the conclusion, and the
inspected organisation's report on remedying. Its scope is the inspected organisation's path: the commission
above it and the organisation's own officers see it, a sibling province does not.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager
from partycard.inspections.choices import STATE_CHOICES
from partycard.inspections.workflow import State

__all__ = ["Inspection"]


class Inspection(models.Model):
    # The committee whose Inspection Commission decided the inspection (the inspector's organisation).
    commission = models.ForeignKey(
        "registry.Organisation", verbose_name=_("inspecting committee"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    organisation = models.ForeignKey(
        "registry.Organisation", verbose_name=_("inspected organisation"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    campaign = models.ForeignKey(
        "exchange.Campaign", verbose_name=_("exchange campaign"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, db_index=True)  # the inspected organisation's
    number = models.CharField(_("number of the decision to inspect"), max_length=50)
    decided_on = models.DateField(_("date of the decision"))
    subject = models.CharField(_("subject of the inspection"), max_length=300)
    period_start = models.DateField(_("period inspected, from"))
    period_end = models.DateField(_("period inspected, to"))
    place = models.CharField(_("place of issue"), max_length=100)
    state = models.CharField(_("state"), max_length=12, choices=STATE_CHOICES, default=State.OPEN.value)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"))
    # The sample (sampling.py): the seed drawn by the system, how many (a size, or a percentage), whether
    # shared between cells, and what it was drawn from (the count and the digest of the cases' ids).
    sample_seed = models.CharField(_("seed of the sample"), max_length=64, blank=True)
    sample_size = models.PositiveIntegerField(_("cases sampled"), null=True, blank=True)
    sample_percent = models.PositiveSmallIntegerField(_("share sampled (%)"), null=True, blank=True)
    stratified = models.BooleanField(_("stratified by cell"), default=True)
    population = models.PositiveIntegerField(_("cases in the inspected organisation"), null=True, blank=True)
    population_digest = models.CharField(max_length=64, blank=True)
    sampled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sampled_at = models.DateTimeField(_("sampled at"), null=True, blank=True)
    conclusion_number = models.CharField(_("number of the conclusion notice"), max_length=50, blank=True)
    conclusion = models.TextField(_("conclusion"), max_length=20000, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    response = models.TextField(_("report on remedying"), max_length=20000, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = ScopedManager["Inspection"]()
    scope_path = "path"
    scope_own = None

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in State]), name="inspections_state"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="inspections_period"
            ),
            models.CheckConstraint(
                condition=models.Q(sample_percent__isnull=True)
                | models.Q(sample_percent__gte=1, sample_percent__lte=100),
                name="inspections_percent",
            ),
            models.UniqueConstraint(fields=["commission", "number"], name="inspections_number_once"),
        ]
        indexes = [models.Index(fields=["path", "state"], name="inspections_path_state")]

    def __str__(self) -> str:
        return f"{self.number} ({self.organisation_id})"

    def clean(self) -> None:
        """The text fields hold something besides spaces; the period inspected runs forwards."""
        super().clean()
        errors: dict[str, list[str]] = {}
        for name in ("number", "subject", "place"):
            if not str(getattr(self, name) or "").strip():
                errors[name] = [str(_("This field is required."))]
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = [str(_("The end of the period inspected is before its start."))]
        if errors:
            raise ValidationError(errors)
