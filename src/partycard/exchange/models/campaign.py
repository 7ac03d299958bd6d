"""Campaigns with their rule settings, and the national card numbers handed out."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.exchange.eligibility import Rules


class Campaign(models.Model):
    """An exchange campaign (đợt đổi thẻ): its cut-off date and the settings of the eligibility rules.

    More than one exists over the years; each case belongs to one. The settings are the [U] items of
    DOMAIN.md, chosen per campaign rather than fixed in code.
    """

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    cut_off = models.DateField(_("cut-off date"))
    max_dues_months_unpaid = models.PositiveSmallIntegerField(_("months of unpaid dues allowed"), default=3)
    postpone_under_discipline = models.BooleanField(
        _("postpone members under disciplinary review"), default=True
    )
    postpone_under_inspection = models.BooleanField(_("postpone members under inspection"), default=True)
    postpone_transfer_in_progress = models.BooleanField(_("postpone members being transferred"), default=True)
    require_citizen_id = models.BooleanField(_("require a valid citizen ID"), default=True)
    # What happens to the old card once the new one is handed over (Regulation 06-QĐ/TW: recovered cards
    # are destroyed). Settings, on by default: a campaign may let members keep the old card.
    recover_old_cards = models.BooleanField(
        _("recover the old card at hand-over"),
        default=True,
        help_text=_("The cell takes the old card back when it hands over the new one."),
    )
    destroy_old_cards = models.BooleanField(
        _("destroy recovered old cards"),
        default=True,
        help_text=_("The committee that decided the card destroys the old cards its cells recovered."),
    )
    # An open campaign takes proposals, and member changes re-evaluate its eligibility and hold its cases.
    is_open = models.BooleanField(_("open"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exchange campaign")
        verbose_name_plural = _("exchange campaigns")
        ordering = ["-cut_off"]

    def __str__(self) -> str:
        return self.name

    def rules(self) -> Rules:
        """The pure rule settings ``eligibility.evaluate`` takes."""
        return Rules(
            cut_off=self.cut_off,
            max_dues_months_unpaid=self.max_dues_months_unpaid,
            postpone_under_discipline=self.postpone_under_discipline,
            postpone_under_inspection=self.postpone_under_inspection,
            postpone_transfer_in_progress=self.postpone_transfer_in_progress,
            require_citizen_id=self.require_citizen_id,
        )


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
