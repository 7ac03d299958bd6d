"""Fixtures of the inspections' tests: the exchange's officers and campaign, inspectors of Hà Nội and Huế,
the officers of the organisations inspected, and exchange cases proposed by the cells."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.exchange.models import Case
from partycard.exchange.services import case_propose
from partycard.inspections import services
from partycard.inspections.models import Inspection
from tests.exchange import conftest as exchange_fixtures

# The exchange's fixtures, shared: its campaign, and one officer at each level of the Hà Nội branch.
campaign = exchange_fixtures.campaign
officers = exchange_fixtures.officers

CELL_A = [
    "Nguyễn Thị Ánh Hồng",
    "Trần Văn Đức",
    "Lê Hoàng Yến",
    "Phạm Quốc Việt",
    "Đỗ Thị Thu Hà",
    "Vũ Minh Khang",
]
CELL_B = ["Bùi Thị Lan", "Hoàng Văn Nam", "Đặng Thu Trang"]
HUE = ["Hồ Văn Huế", "Tôn Nữ Thanh"]


@dataclass
class People:
    """Who acts on inspections in the test tree (tests/conftest.py)."""

    inspector: User  # the Inspection Commission of Hà Nội
    hue_inspector: User  # of Huế, the sibling province
    centre_inspector: User  # of the Centre (a central administrator placed there)
    ba_dinh: User  # committee officer of Ba Đình: the organisation inspected in most tests
    hanoi: User  # committee officer of Hà Nội, the committee above Ba Đình
    school: User  # grassroots officer of the school, below Ba Đình
    hue_officer: User  # committee officer of Thuận Hóa (Huế)
    secretary: User  # cell secretary of cell_a: no inspection right at all


@pytest.fixture
def people(tree: Any, officers: Any) -> People:
    def user(name: str, role: str, org: Any) -> User:
        return User.objects.create_user(name, password="x", role=role, organisation=org, first_name=name)

    return People(
        inspector=user("ubkt_hn", Role.INSPECTOR, tree.hanoi),
        hue_inspector=user("ubkt_hue", Role.INSPECTOR, tree.hue),
        centre_inspector=officers.centre,
        ba_dinh=officers.upper,
        hanoi=officers.province,
        school=officers.grassroots,
        hue_officer=officers.hue_upper,
        secretary=officers.cell,
    )


@pytest.fixture
def cases(tree: Any, officers: Any, campaign: Any, make_member: Any) -> dict[str, list[Case]]:
    """Cases proposed by each cell's secretary (exchange.services): six in cell_a, three in cell_b, two in
    Huế's grassroots cell. Each member is official and holds an old card: eligible."""
    made: dict[str, list[Case]] = {"cell_a": [], "cell_b": [], "hue": []}
    serial = 0
    for key, names, org, secretary in (
        ("cell_a", CELL_A, tree.cell_a, officers.cell),
        ("cell_b", CELL_B, tree.cell_b, officers.other_cell),
        ("hue", HUE, tree.hue_cell, officers.hue_cell),
    ):
        for name in names:
            serial += 1
            member = make_member(
                org=org,
                full_name=name,
                citizen_id=f"0010800{serial:05d}",
                old_card_number=f"{87654300 + serial}",
            )
            made[key].append(case_propose(actor=secretary, campaign=campaign, member=member))
    return made


def open_inspection(actor: Any, organisation: Any, campaign: Any, number: str = "12-QĐ/UBKT") -> Inspection:
    return services.inspection_open(
        actor=actor, organisation=organisation, campaign=campaign, number=number,
        decided_on=dt.date(2026, 9, 1), subject="Việc thực hiện đổi thẻ đảng viên theo Chỉ thị 51-CT/TW",
        period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 8, 31), place="Hà Nội",
    )  # fmt: skip
