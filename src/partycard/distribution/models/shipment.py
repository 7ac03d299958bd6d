"""A shipment of cards from one level to the next one down, the cards in it, and what its receipt found."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.cards.models.card import LEVEL_CHOICES
from partycard.core.scope import ScopedManager
from partycard.distribution.choices import IncidentKind, ShipmentState

__all__ = ["Shipment", "ShipmentCard", "ShipmentIncident"]


class Shipment(models.Model):
    """One parcel of cards sent by one organisation to the next one down the cards' way.

    Its scope is its destination's path: the sender (above) and the receiver both see it, a sibling
    province does not. ``count_pending`` is how many cards its send (then receive) job has still to move.
    """

    code = models.CharField(_("shipment code"), max_length=16, unique=True)
    from_org = models.ForeignKey(
        "registry.Organisation", verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    from_level = models.CharField(_("from level"), max_length=12, choices=LEVEL_CHOICES)
    to_org = models.ForeignKey(
        "registry.Organisation", verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    to_level = models.CharField(_("to level"), max_length=12, choices=LEVEL_CHOICES)
    path = models.CharField(max_length=255, db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=ShipmentState.choices)
    count_sent = models.PositiveIntegerField(_("cards sent"), default=0)
    count_pending = models.PositiveIntegerField(default=0)
    counted = models.PositiveIntegerField(_("cards counted on receipt"), null=True, blank=True)
    count_received = models.PositiveIntegerField(_("cards received"), default=0)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager["Shipment"]()
    scope_path = "path"
    scope_own = None

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in ShipmentState]), name="distribution_ship_state"
            ),
            models.CheckConstraint(
                condition=~models.Q(from_org=models.F("to_org")), name="distribution_ship_moves"
            ),
        ]
        indexes = [
            models.Index(fields=["to_org", "state"], name="distribution_ship_to_state"),
            models.Index(fields=["from_org", "state"], name="distribution_ship_from_state"),
        ]

    def __str__(self) -> str:
        return self.code


class ShipmentCard(models.Model):
    """A card in a shipment (a card travels in one shipment per leg; never twice in one)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="items")
    card = models.ForeignKey("cards.Card", on_delete=models.PROTECT, related_name="+")
    missing = models.BooleanField(_("missing on receipt"), default=False)
    received = models.BooleanField(_("received"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shipment", "card"], name="distribution_card_once")]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.card_id}"


class ShipmentIncident(models.Model):
    """A discrepancy found on receipt: the count differs, a card is missing, or one not listed was found."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="incidents")
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices)
    expected = models.PositiveIntegerField(_("expected"), null=True, blank=True)
    counted = models.PositiveIntegerField(_("counted"), null=True, blank=True)
    numbers = models.JSONField(_("card numbers"), default=list, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("shipment incident")
        verbose_name_plural = _("shipment incidents")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.kind}"
