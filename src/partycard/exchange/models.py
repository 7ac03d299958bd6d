"""Card numbers handed out: one row per number, so that a number is never given twice or reused."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IssuedCardNumber(models.Model):
    """A national card number, allocated once. The serial comes from the ``exchange_card_serial``
    sequence on PostgreSQL (``services.card_numbers_allocate``); the unique constraints are the last line
    of defence against a duplicate, whatever allocated it."""

    serial = models.BigIntegerField(_("serial"), unique=True)
    number = models.CharField(_("card number"), max_length=10, unique=True)
    allocated_at = models.DateTimeField(_("allocated at"))

    class Meta:
        verbose_name = _("issued card number")
        verbose_name_plural = _("issued card numbers")

    def __str__(self) -> str:
        return self.number
