"""The cell's meeting where new cards are handed over, and each card's hand-over (Regulation 06-QĐ/TW:
the cell hands the card over at its next meeting)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager
from partycard.distribution.choices import HandOverMethod

__all__ = ["HandOver", "Meeting"]


class Meeting(models.Model):
    """A cell's meeting (one per cell and day) at which its secretary hands the new cards over."""

    cell = models.ForeignKey("registry.Organisation", verbose_name=_("party cell"), on_delete=models.PROTECT)
    held_on = models.DateField(_("meeting date"))
    path = models.CharField(max_length=255, db_index=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField()

    objects = ScopedManager["Meeting"]()
    scope_path = "path"
    scope_own = None

    class Meta:
        verbose_name = _("cell meeting")
        verbose_name_plural = _("cell meetings")
        ordering = ["-held_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["cell", "held_on"], name="distribution_meeting_once")]

    def __str__(self) -> str:
        return f"{self.cell_id} {self.held_on:%d/%m/%Y}"


class HandOver(models.Model):
    """One new card handed to its member at a meeting: on a signed paper receipt (done there), or confirmed
    by the member on their phone (the card becomes active only then). One per card."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="handovers")
    card = models.OneToOneField("cards.Card", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey("registry.Member", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("method"), max_length=5, choices=HandOverMethod.choices)
    # The cell took the member's old card back at the meeting (recovered once the new one supersedes it).
    old_card_taken = models.BooleanField(_("old card taken back"), default=False)
    path = models.CharField(max_length=255, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager["HandOver"]()
    scope_path = "path"
    scope_own = "member_id"

    class Meta:
        verbose_name = _("card hand-over")
        verbose_name_plural = _("card hand-overs")
        ordering = ["meeting", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method__in=[m.value for m in HandOverMethod]),
                name="distribution_ho_method",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} @ {self.meeting_id}"
