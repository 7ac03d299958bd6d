"""Cards for the cards' tests: a new card allocated, or walked all the way to the member (the officers are
the exchange's, ``tests/exchange/conftest.Officers``: one at every level of the Hà Nội branch)."""

from __future__ import annotations

from typing import Any

from partycard.cards.models import Card
from partycard.cards.services import Allocation, cards_allocate
from partycard.exchange.services.card_numbers import card_numbers_allocate
from partycard.registry.models import Member
from tests.credentials.conftest import authority  # noqa: F401 - the signing authority on disk, shared
from tests.exchange.conftest import campaign, officers  # noqa: F401 - the exchange's, shared
from tests.factories import card_walk


def new_card(member: Member) -> Card:
    """A new card allocated to ``member`` as the Centre's acceptance would (no case: a reissue)."""
    (number,) = card_numbers_allocate(1)
    (card,) = cards_allocate(
        actor=None,
        allocations=[
            Allocation(number=number, case_id=None, member_id=member.pk, path=member.organisation.path)
        ],
    )
    return card


def card_in_hands(member: Member, by: Any) -> Card:
    """A new card walked the whole way to ``member`` (a member of cell_a) through the services."""
    return card_walk(new_card(member), by)
