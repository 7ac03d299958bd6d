"""Records the tests need in a given state, made through the services as far as they can go."""

from __future__ import annotations

from partycard.cards.lifecycle import CardState, CardTransition
from partycard.cards.models import Card
from partycard.cards.services import Allocation, card_transition, cards_allocate
from partycard.exchange.services.card_numbers import card_numbers_allocate
from partycard.registry.models import Member

__all__ = ["card_active"]


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
