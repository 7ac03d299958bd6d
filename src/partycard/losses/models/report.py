"""A lost or damaged card's report, its photos (kept privately, in the database) and its history.

Its scope is the member's cell path at the time of the report (it follows a transfer with the member's
other records only if the services move it; a report is short-lived), and the member themself sees their
own (``scope_own``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager
from partycard.losses.choices import KIND_CHOICES, STATE_CHOICES, STEP_CHOICES, Channel
from partycard.losses.workflow import OPEN_STATES, State

__all__ = ["LossEvent", "LossPhoto", "LossReport"]

_USER = settings.AUTH_USER_MODEL


def _org(verbose: Any) -> models.ForeignKey:
    return models.ForeignKey(
        "registry.Organisation", verbose_name=verbose, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip


def _user() -> models.ForeignKey:
    return models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class LossReport(models.Model):
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="+"
    )
    card = models.ForeignKey(
        "cards.Card", verbose_name=_("card reported"), on_delete=models.PROTECT, related_name="+"
    )
    # The member's cell when reported (the cards' scope path is the cell's).
    organisation = models.ForeignKey(
        "registry.Organisation", verbose_name=_("party cell"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(_("lost or damaged"), max_length=8, choices=KIND_CHOICES)
    circumstances = models.TextField(_("circumstances"), max_length=4000)
    # DOMAIN.md: "Losing a card without good reason earns a reprimand." The cell's account, which the
    # upper committee's board may correct when it compiles; None: not said yet.
    good_reason = models.BooleanField(_("with good reason"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=STATE_CHOICES, default=State.REPORTED.value)
    channel = models.CharField(_("reported by"), max_length=4, choices=Channel.choices)
    reported_at = models.DateTimeField(_("reported at"))
    reported_by = _user()
    listed_by = _org(_("listed by"))
    listed_on = models.DateField(_("listed on"), null=True, blank=True)
    compiled_by = _org(_("compiled by"))
    compiled_on = models.DateField(_("compiled on"), null=True, blank=True)
    decided_by = _org(_("decided by"))
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_number = models.CharField(_("number of the decision"), max_length=50, blank=True)
    refusal = models.TextField(_("reason of the refusal"), max_length=2000, blank=True)
    new_card = models.ForeignKey(
        "cards.Card", verbose_name=_("new card"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    objects = ScopedManager["LossReport"]()
    scope_path = "path"
    scope_own = "member_id"

    class Meta:
        verbose_name = _("lost or damaged card report")
        verbose_name_plural = _("lost or damaged card reports")
        constraints = [
            # One open case per card: reporting it again waits for the decision (or refusal).
            models.UniqueConstraint(
                fields=["card"],
                condition=Q(state__in=sorted(s.value for s in OPEN_STATES)),
                name="losses_one_open_report_per_card",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.card_id} ({self.get_state_display()})"


class LossPhoto(models.Model):
    """One of the two 2×3 cm photos, re-encoded as JPEG without metadata (``photos.photo_clean``). Kept in
    the database, never under a public media URL: a page or route reads it through the report's scope."""

    report = models.ForeignKey(LossReport, on_delete=models.CASCADE, related_name="photos")
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()
    path = models.CharField(max_length=255, db_index=True)

    objects = ScopedManager["LossPhoto"]()
    scope_path = "path"
    scope_own = "report__member_id"

    def __str__(self) -> str:
        return f"{self.report_id}/{self.pk}"


class LossEvent(models.Model):
    report = models.ForeignKey(LossReport, on_delete=models.CASCADE, related_name="events")
    step = models.CharField(_("step"), max_length=10, choices=STEP_CHOICES)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    organisation = _org(_("by"))
    actor = _user()
    note = models.CharField(_("note"), max_length=2000, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.report_id}: {self.step}"
