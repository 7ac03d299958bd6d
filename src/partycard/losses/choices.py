"""The choices of the losses app's fields, worded for the pages (gettext)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.losses.workflow import Kind, State, Step

__all__ = ["KIND_CHOICES", "STATE_CHOICES", "STEP_CHOICES", "Channel", "RecoveryOutcome"]

KIND_CHOICES = [(Kind.LOST.value, _("Lost")), (Kind.DAMAGED.value, _("Damaged"))]
STATE_CHOICES = [
    (State.REPORTED.value, _("Reported, card suspended")),
    (State.LISTED.value, _("Listed by the grassroots committee")),
    (State.COMPILED.value, _("Compiled by the upper committee")),
    (State.DECIDED.value, _("Reissue decided")),
    (State.REISSUED.value, _("New card handed over")),
    (State.REFUSED.value, _("Refused")),
]
STEP_CHOICES = [
    (Step.REPORT.value, _("Reported")),
    (Step.LIST.value, _("Listed")),
    (Step.COMPILE.value, _("Compiled")),
    (Step.DECIDE.value, _("Decided")),
    (Step.REFUSE.value, _("Refused")),
    (Step.CLOSE.value, _("Closed")),
]


class Channel(models.TextChoices):
    """Who filed the report: the member in their app, or the cell for the member."""

    APP = "app", _("The member, in the app")
    CELL = "cell", _("The party cell")


class RecoveryOutcome(models.TextChoices):
    """DOMAIN.md: "Death: the family keeps the card. Expulsion or removal: the cell recovers the card and
    sends it up." Resignation (xin ra khỏi Đảng) is treated as removal: the card is recovered."""

    RECOVERED = "recovered", _("Recovered by the cell and sent up")
    KEPT_BY_FAMILY = "kept_by_family", _("Kept by the family (death)")
