"""Enumerations of party dues: the state of one member's payment for one month."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["PAID_STATUSES", "PaymentStatus"]


class PaymentStatus(models.TextChoices):
    """Who put the payment on record, and whether the cell accepts it.

    The cell records what it collected (``RECORDED``); a member may declare a payment themselves
    (``DECLARED``), which counts once the cell confirms it (``CONFIRMED``) and not if it refuses it
    (``REFUSED``, with the reason).
    """

    RECORDED = "recorded", _("Recorded by the cell")
    DECLARED = "declared", _("Declared by the member, awaiting the cell")
    CONFIRMED = "confirmed", _("Confirmed by the cell")
    REFUSED = "refused", _("Refused by the cell")


# The payments that count as paid for Charter Art. 8(2): the ones the cell stands behind (it recorded them
# itself, or confirmed the member's declaration). A declaration awaiting the cell does not count yet.
PAID_STATUSES: frozenset[str] = frozenset({PaymentStatus.RECORDED, PaymentStatus.CONFIRMED})
