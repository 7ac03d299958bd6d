"""Status lists: the revocation state of every card, chip and electronic alike.

A status list belongs to one document signer and holds ``size`` entries of ``bits`` bits (the IETF
Token Status List layout: entry *i* at bits ``i*bits…``, least significant first in its byte). A chip
card and an e-card each own one index in one list for their whole life; a change flips that entry,
bumps the list's ``version`` and the signed token is made again on the next fetch. Rows are locked while
an index is taken or an entry flipped, so two writers never share an index or lose a flip.

The table was the credentials app's (``credentials_statuslistrecord``); it moved here when chip cards
gained status entries, so that the cards app, below the e-card's, owns it (migration ``cards.0001``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["StatusListRecord"]


class StatusListRecord(models.Model):
    """One signer's status list: the packed entries, the next free index, a version for caching."""

    signer_label = models.CharField(_("document signer key"), max_length=64)
    bits = models.PositiveSmallIntegerField(_("bits per entry"), default=2)
    size = models.PositiveIntegerField(_("entries"))
    packed = models.BinaryField(_("packed entries"))
    next_index = models.PositiveIntegerField(_("next free index"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "credentials_statuslistrecord"
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")

    def __str__(self) -> str:
        return f"status list {self.pk} ({self.signer_label}, {self.next_index}/{self.size})"

    @property
    def full(self) -> bool:
        return self.next_index >= self.size
