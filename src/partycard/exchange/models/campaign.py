"""Campaigns with their rule settings, and the national card numbers handed out."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.exchange.eligibility import Rules
from partycard.registry.choices import OrgLevel


class Campaign(models.Model):
    """An exchange campaign (đợt đổi thẻ): its cut-off date and the settings of the eligibility rules.

    More than one exists over the years; each case belongs to one. The settings are the [U] items of
    DOMAIN.md, chosen per campaign rather than fixed in code.
    """

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    cut_off = models.DateField(_("cut-off date"))
    # Charter Art. 8(2): a member who, without good reason, skips party activities or does not pay dues for
    # three months within a year is considered by the cell for removal.
    removal_months = models.PositiveSmallIntegerField(
        _("months within a year that refuse"),
        default=3,
        help_text=_(
            "Months of dues unpaid, or of party activities skipped, without good reason within the last 12 "
            "months that refuse a new card (Party Charter Art. 8(2): three)."
        ),
    )
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
    # DOMAIN.md: being abroad does not change a member's standing; the card is held for them while they
    # are abroad (formerly by the Foreign Affairs party committee; which body since 2025 is not public).
    abroad_card_holder = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("committee holding the cards of members abroad"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"level__lt": OrgLevel.GRASSROOTS_COMMITTEE},  # a committee, not a cell
        help_text=_(
            "The party committee that receives and keeps the new cards of members who are abroad until they "
            "return. Being abroad does not affect eligibility."
        ),
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
            removal_months=self.removal_months,
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
