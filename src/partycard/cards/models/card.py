"""A party card and its history: one row per physical card, new or old, and one event per change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.cards.lifecycle import FINAL_STATES, CardKind, CardLevel, CardState, CardTransition
from partycard.core.scope import ScopedManager

__all__ = ["KIND_CHOICES", "LEVEL_CHOICES", "STATE_CHOICES", "Card", "CardEvent"]

STATE_CHOICES = [
    (CardState.ALLOCATED.value, _("Number allocated")),
    (CardState.IN_PRODUCTION.value, _("In production")),
    (CardState.PRODUCED.value, _("Produced")),
    (CardState.IN_TRANSIT.value, _("In transit")),
    (CardState.RECEIVED.value, _("Received")),
    (CardState.ACTIVE.value, _("Handed over, in use")),
    (CardState.SUSPENDED.value, _("Suspended")),
    (CardState.LOST.value, _("Lost")),
    (CardState.DAMAGED.value, _("Damaged")),
    (CardState.REVOKED.value, _("Revoked")),
    (CardState.SUPERSEDED.value, _("Replaced by a new card")),
    (CardState.RECOVERED.value, _("Recovered")),
    (CardState.DESTROYED.value, _("Destroyed")),
]
KIND_CHOICES = [(CardKind.NEW.value, _("New chip card")), (CardKind.OLD.value, _("Old card (2003)"))]
LEVEL_CHOICES = [
    (CardLevel.CENTRE.value, _("Centre")),
    (CardLevel.PROVINCE.value, _("Committee directly under the Centre")),
    (CardLevel.UPPER.value, _("Committee directly above the grassroots")),
    (CardLevel.GRASSROOTS.value, _("Grassroots organisation")),
    (CardLevel.CELL.value, _("Party cell")),
    (CardLevel.SYSTEM.value, _("System")),
]


class Card(models.Model):
    """One card: its national number (or the old 8-digit one), whose it is, where it is in its life.

    Written only by ``cards.services`` (``card_*``); ``lifecycle.py`` says which changes may happen.
    """

    number = models.CharField(_("card number"), max_length=10, unique=True)
    kind = models.CharField(_("kind"), max_length=3, choices=KIND_CHOICES)
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="cards"
    )
    # The exchange case that produced it (a new card from this exchange); none for an old card.
    case = models.OneToOneField(
        "exchange.Case",
        verbose_name=_("exchange case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="card",
    )
    # The member's cell path: the scope filter reads it without a join; it follows a transfer.
    path = models.CharField(max_length=255, db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=STATE_CHOICES)
    # Where a card on its way down is: the level and the organisation holding it (or sent to).
    level = models.CharField(_("level"), max_length=12, choices=LEVEL_CHOICES, blank=True)
    holder = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("held by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    chip_key_fingerprint = models.CharField(_("chip key fingerprint"), max_length=64, blank=True)
    sod_sha256 = models.CharField(_("SOD hash"), max_length=64, blank=True)
    status_list = models.ForeignKey(
        "cards.StatusListRecord",
        verbose_name=_("status list"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cards",
    )
    status_index = models.PositiveIntegerField(_("status list index"), null=True, blank=True)
    note = models.CharField(_("last reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    objects = ScopedManager["Card"]()
    scope_path = "path"
    scope_own = "member_id"

    class Meta:
        verbose_name = _("party membership card")
        verbose_name_plural = _("party membership cards")
        constraints = [
            models.UniqueConstraint(fields=["status_list", "status_index"], name="cards_one_index_each"),
            models.CheckConstraint(
                condition=models.Q(kind__in=[CardKind.NEW.value, CardKind.OLD.value]), name="cards_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in CardState]), name="cards_state_valid"
            ),
            # A member holds at most one card in use (active, suspended or damaged) of each kind.
            models.UniqueConstraint(
                fields=["member", "kind"],
                condition=models.Q(state__in=["active", "suspended", "damaged"]),
                name="cards_one_in_use_per_member",
            ),
        ]
        indexes = [models.Index(fields=["member", "kind", "state"], name="cards_member_state")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


class CardEvent(models.Model):
    """One change of a card: the member page's timeline (the audit log holds the same, chained)."""

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="events")
    transition = models.CharField(max_length=20, choices=[(t.value, t.value) for t in CardTransition])
    from_state = models.CharField(max_length=16, choices=STATE_CHOICES, blank=True)
    to_state = models.CharField(max_length=16, choices=STATE_CHOICES)
    level = models.CharField(max_length=12, choices=LEVEL_CHOICES, blank=True)
    holder = models.ForeignKey(
        "registry.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["card", "at"], name="cards_event_card_at")]

    def __str__(self) -> str:
        return f"{self.card_id}: {self.transition}"
