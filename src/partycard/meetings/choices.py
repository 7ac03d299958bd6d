"""Enumerations of the meetings app: the kind of meeting, its state, how a member checked in."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["CheckinMethod", "MeetingKind", "MeetingState"]


class MeetingKind(models.TextChoices):
    # Party Charter Art. 24: the cell meets regularly once a month.
    REGULAR = "regular", _("Regular cell meeting")
    # Directive 51-CT/TW: a political study session across the Party on the exchange of the new card.
    STUDY_SESSION = "study_session", _("Political study session on the new party card")
    OTHER = "other", _("Other party activity")


class MeetingState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CheckinMethod(models.TextChoices):
    QR = "qr", _("Electronic card (rotating QR)")
    CHIP = "chip", _("Chip card on a reader")
    MANUAL = "manual", _("Recorded by the secretary")
