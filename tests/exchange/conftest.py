"""Fixtures of the exchange tests: a campaign, and one officer at each level of the Hà Nội branch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.exchange.models import Campaign


@dataclass
class Officers:
    """Who acts at each level for a member of ``tree.cell_a`` (and the Huế officers, who may not)."""

    cell: User  # secretary of cell_a
    grassroots: User  # officer of the school's grassroots committee
    upper: User  # officer of Ba Đình, the committee above the grassroots
    centre: User  # central administrator at the Centre
    province: User  # officer of Hà Nội, the committee directly under the Centre: forwards decided cases
    other_cell: User  # secretary of cell_b, a sibling cell
    hue_upper: User  # officer of Thuận Hóa, another province's commune
    hue_cell: User  # secretary of Huế's grassroots cell (acts as cell and as grassroots there)


@pytest.fixture
def campaign(db: Any) -> Campaign:
    return Campaign.objects.create(code="dot-2026", name="Đợt đổi thẻ 2026", cut_off=dt.date(2026, 6, 30))


@pytest.fixture
def officers(tree: Any) -> Officers:
    def user(name: str, role: str, org: Any) -> User:
        return User.objects.create_user(name, password="x", role=role, organisation=org)

    return Officers(
        cell=user("bt_a", Role.CELL_SECRETARY, tree.cell_a),
        grassroots=user("cs_school", Role.GRASSROOTS_OFFICER, tree.school),
        upper=user("bd", Role.COMMITTEE_OFFICER, tree.ba_dinh),
        centre=user("tw", Role.CENTRAL_ADMIN, tree.centre),
        province=user("hn", Role.COMMITTEE_OFFICER, tree.hanoi),
        other_cell=user("bt_b", Role.CELL_SECRETARY, tree.cell_b),
        hue_upper=user("th", Role.COMMITTEE_OFFICER, tree.thuan_hoa),
        hue_cell=user("bt_hue", Role.CELL_SECRETARY, tree.hue_cell),
    )


def card_holder(make_member: Any, **overrides: Any) -> Any:
    """An official member holding an old card: eligible in ``campaign``."""
    overrides.setdefault("old_card_number", "12345678")
    return make_member(**overrides)
