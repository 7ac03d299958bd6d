"""Enumerations of transfers: the kinds (DOMAIN.md) and the labels of ``workflow.State``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.transfers.workflow import State, Step

__all__ = ["STATE_CHOICES", "STEP_LABELS", "Kind"]


class Kind(models.TextChoices):
    """DOMAIN.md: "Transfer of membership (chuyển sinh hoạt đảng): official, temporary or internal"."""

    OFFICIAL = "official", _("Official transfer")  # chuyển sinh hoạt đảng chính thức: the member moves cell
    TEMPORARY = "temporary", _("Temporary transfer")  # tạm thời: the official cell stays (docs/procedures.md)
    INTERNAL = "internal", _("Internal transfer")  # nội bộ: between cells of one grassroots organisation


STATE_CHOICES = [
    (State.DRAFTED.value, _("Drafted")),
    (State.ISSUED.value, _("Letter issued")),
    (State.RECEIVED.value, _("Received, e-card checked")),
    (State.COMPLETED.value, _("Completed")),
    (State.CANCELLED.value, _("Cancelled")),
    (State.REFUSED.value, _("Refused")),
    (State.EXPIRED.value, _("Expired")),
]

STEP_LABELS = {
    Step.ISSUE: _("Issue the introduction letter"),
    Step.RECEIVE: _("Receive the member (scan the e-card)"),
    Step.COMPLETE: _("Complete the transfer"),
    Step.CANCEL: _("Cancel the transfer"),
    Step.REFUSE: _("Refuse the transfer"),
    Step.EXPIRE: _("Expired"),
}
