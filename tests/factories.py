"""Records the tests need in a given state, made through the services as far as they can go."""

from __future__ import annotations

from typing import Any

from partycard.cards.lifecycle import CardState, CardTransition
from partycard.cards.models import Card
from partycard.cards.services import Allocation, card_transition, cards_allocate
from partycard.exchange.services.card_numbers import card_numbers_allocate
from partycard.registry.models import Member

__all__ = ["CARD_WAY", "card_active", "card_walk"]

# A new card's way down the test tree's Hà Nội branch (tests/conftest.py), step by step, each by the officer
# whose turn it is (an attribute of tests/exchange/conftest.Officers): production at the Centre, then sent
# and received at each level down to cell_a (Directive 51-CT/TW), and the cell's hand-over at its meeting
# (Regulation 06-QĐ/TW).
CARD_WAY: list[tuple[str, CardTransition]] = [
    ("centre", CardTransition.START_PRODUCTION),
    ("centre", CardTransition.MARK_PRODUCED),
    ("centre", CardTransition.SEND),
    ("province", CardTransition.RECEIVE),
    ("province", CardTransition.SEND),
    ("upper", CardTransition.RECEIVE),
    ("upper", CardTransition.SEND),
    ("grassroots", CardTransition.RECEIVE),
    ("grassroots", CardTransition.SEND),
    ("cell", CardTransition.RECEIVE),
    ("cell", CardTransition.HAND_OVER),
]


def card_walk(card: Card, officers: Any, *, hand_over: bool = True) -> Card:
    """``card`` (allocated, of a member of cell_a) taken down :data:`CARD_WAY` through the services;
    without ``hand_over`` it stops once the cell has received it."""
    for who, transition in CARD_WAY if hand_over else CARD_WAY[:-1]:
        card = card_transition(actor=getattr(officers, who), card=card, transition=transition)
    return card


def card_active(member: Member, number: str | None = None) -> Card:
    """``member``'s new card, in use (``cards.selectors.card_in_use`` finds it): what an e-card is issued for.

    Allocated and produced through ``cards.services`` (a fresh national number unless ``number`` is given).
    The way down the tree (send and receive at each level, the cell's hand-over) is taken by the officers
    standing on the card's route (``tests/cards/conftest.card_in_hands`` walks it); here the card is put
    in the member's hands directly.
    """
    if number is None:
        (number,) = card_numbers_allocate(1)
    (card,) = cards_allocate(
        actor=None,
        allocations=[
            Allocation(number=number, case_id=None, member_id=member.pk, path=member.organisation.path)
        ],
    )
    for transition in (CardTransition.START_PRODUCTION, CardTransition.MARK_PRODUCED):
        card = card_transition(actor=None, card=card, transition=transition, system=True)
    # Fixture shortcut, in this helper only: the state a hand-over leaves (active, held by the member, no
    # level), written directly. No event, no audit row, and the member's old card is not superseded.
    Card.objects.filter(pk=card.pk).update(state=CardState.ACTIVE, level="", holder=None)
    card.refresh_from_db()
    return card
