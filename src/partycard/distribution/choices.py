"""Enumerations of distribution: a shipment's state, an incident's kind, how a card was handed over."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["HandOverMethod", "IncidentKind", "ShipmentState"]


class ShipmentState(models.TextChoices):
    PACKING = "packing", _("Being packed")  # its send job has not put every card in yet
    SENT = "sent", _("Sent")
    RECEIVING = "receiving", _("Being received")  # its receive job has not taken every card yet
    RECEIVED = "received", _("Received")


class IncidentKind(models.TextChoices):
    COUNT_MISMATCH = "count_mismatch", _("Count differs from the label")
    MISSING_CARD = "missing_card", _("Card missing from the shipment")
    EXTRA_CARD = "extra_card", _("Card found that is not on the shipment")


class HandOverMethod(models.TextChoices):
    PAPER = "paper", _("Signed the paper receipt")
    PHONE = "phone", _("Confirms on their phone")
