"""Fixtures of distribution's tests: the exchange's officers (one at every level of the Hà Nội branch, and
Huế's), members of cell_a holding an old card, and their new cards produced at the Centre."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from partycard.cards.lifecycle import CardTransition
from partycard.cards.models import Card
from partycard.cards.services import Allocation, card_transition, cards_allocate
from partycard.exchange.services.card_numbers import card_numbers_allocate
from partycard.registry.models import Member
from tests.exchange.conftest import campaign, officers  # noqa: F401 - shared

NAMES = ["Nguyễn Thị Ánh Hồng", "Trần Văn Đức", "Lê Hoàng Yến", "Phạm Quốc Việt", "Đỗ Thị Thu Hà"]


@pytest.fixture(autouse=True)
def _files(settings: Any, tmp_path: Any) -> None:
    """Documents on disk under the test's own directory."""
    settings.PARTYCARD = {**settings.PARTYCARD, "DISTRIBUTION_DIR": tmp_path / "distribution"}


@pytest.fixture
def members(make_member: Any) -> list[Member]:
    """Five official members of cell_a, each with an old 8-digit card in use."""
    return [
        make_member(full_name=name, citizen_id=f"0010800{i:05d}", old_card_number=f"{87654320 + i}")
        for i, name in enumerate(NAMES)
    ]


def produced(members: Sequence[Member]) -> list[Card]:
    """A new card for each member, produced at the Centre (cards.services as the system: START_PRODUCTION,
    MARK_PRODUCED, as tests/factories.card_walk does before the production app exists)."""
    numbers = card_numbers_allocate(len(members))
    cards = cards_allocate(
        actor=None,
        allocations=[
            Allocation(number=n, case_id=None, member_id=m.pk, path=m.organisation.path)
            for n, m in zip(numbers, members, strict=True)
        ],
    )
    out = []
    for card in cards:
        for step in (CardTransition.START_PRODUCTION, CardTransition.MARK_PRODUCED):
            card = card_transition(actor=None, card=card, transition=step, system=True)
        out.append(card)
    return out
