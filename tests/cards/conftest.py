"""Officers at every level of the test tree's Hà Nội branch, for the cards' tests."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.cards.models import Card
from partycard.cards.services import Allocation, cards_allocate
from partycard.exchange.services.card_numbers import card_numbers_allocate
from partycard.registry.models import Member
from tests.credentials.conftest import authority  # noqa: F401 - the signing authority on disk, shared
from tests.exchange.conftest import campaign, officers  # noqa: F401 - the exchange's, shared


@dataclasses.dataclass
class CardOfficers:
    cell: User  # secretary of cell_a
    grassroots: User  # officer of the school's grassroots committee
    upper: User  # officer of Ba Đình, the committee directly above the grassroots
    province: User  # officer of Hà Nội, the committee directly under the Centre
    centre: User  # central administrator at the Centre
    other_cell: User  # secretary of cell_b, a sibling cell
    hue_upper: User  # officer of Thuận Hóa, in another province


@pytest.fixture
def card_officers(tree: Any) -> CardOfficers:
    def user(name: str, role: str, org: Any) -> User:
        return User.objects.create_user(name, password="x", role=role, organisation=org)

    return CardOfficers(
        cell=user("c_cell", Role.CELL_SECRETARY, tree.cell_a),
        grassroots=user("c_school", Role.GRASSROOTS_OFFICER, tree.school),
        upper=user("c_bd", Role.COMMITTEE_OFFICER, tree.ba_dinh),
        province=user("c_hn", Role.COMMITTEE_OFFICER, tree.hanoi),
        centre=user("c_tw", Role.CENTRAL_ADMIN, tree.centre),
        other_cell=user("c_cell_b", Role.CELL_SECRETARY, tree.cell_b),
        hue_upper=user("c_th", Role.COMMITTEE_OFFICER, tree.thuan_hoa),
    )


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


def card_in_hands(member: Member, by: CardOfficers) -> Card:
    """A new card walked the whole way to ``member`` (a member of cell_a) through the services."""
    from partycard.cards.lifecycle import CardTransition as T
    from partycard.cards.services import card_transition

    card = new_card(member)
    steps = [
        (by.centre, T.START_PRODUCTION),
        (by.centre, T.MARK_PRODUCED),
        (by.centre, T.SEND),
        (by.province, T.RECEIVE),
        (by.province, T.SEND),
        (by.upper, T.RECEIVE),
        (by.upper, T.SEND),
        (by.grassroots, T.RECEIVE),
        (by.grassroots, T.SEND),
        (by.cell, T.RECEIVE),
        (by.cell, T.HAND_OVER),
    ]
    for actor, transition in steps:
        card = card_transition(actor=actor, card=card, transition=transition)
    return card
