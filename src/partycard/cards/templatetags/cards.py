"""``card_number``: a new card's number as people read it (``SSS SSS SSS C``), an old one as it is."""

from __future__ import annotations

from django import template

from partycard.cards.card_number import format_number
from partycard.cards.lifecycle import CardKind
from partycard.cards.models import Card

register = template.Library()


@register.filter
def card_number(card: Card) -> str:
    return format_number(card.number) if card.kind == CardKind.NEW else card.number
