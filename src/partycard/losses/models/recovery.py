"""The physical card of a member who died, was expelled or removed, or resigned: what became of it.

The cards are revoked by the member's status change itself (``cards.services.members_cards_follow``); this
records the cell's part (DOMAIN.md: "Death: the family keeps the card. Expulsion or removal: the cell
recovers the card and sends it up").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager
from partycard.losses.choices import RecoveryOutcome

__all__ = ["CardRecovery"]


class CardRecovery(models.Model):
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="+"
    )
    card = models.OneToOneField(
        "cards.Card", verbose_name=_("card"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "registry.Organisation", verbose_name=_("party cell"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, db_index=True)
    outcome = models.CharField(_("what became of the card"), max_length=16, choices=RecoveryOutcome.choices)
    member_status = models.CharField(_("member status"), max_length=16)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    recorded_on = models.DateField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    objects = ScopedManager["CardRecovery"]()
    scope_path = "path"
    scope_own = "member_id"

    class Meta:
        verbose_name = _("recovery of a card")
        verbose_name_plural = _("recoveries of cards")

    def __str__(self) -> str:
        return f"{self.card_id}: {self.outcome}"
