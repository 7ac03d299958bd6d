"""Deeper trees (DOMAIN.md "Scale and hierarchy"): the Army and Public Security have several tiers between
the committee directly under the Centre and the grassroots. The committee directly above a grassroots
organisation ("cấp ủy cấp trên trực tiếp của tổ chức cơ sở đảng", which decides cards and keeps the
issuance register, Regulation 06-QĐ/TW) is then the nearest commune-level ancestor, not one further up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.core.errors import DomainError
from partycard.exchange.selectors import queue_for
from partycard.exchange.services import CaseError, actor_levels, case_propose, case_transition
from partycard.exchange.services.chip_images import issuing_committee_name
from partycard.exchange.workflow import Level, State, Transition
from partycard.registry import services as registry
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation
from tests.exchange.conftest import card_holder

pytestmark = pytest.mark.django_db

T = Transition


@dataclass
class Army:
    committee: Organisation  # Đảng bộ Quân đội, directly under the Centre
    region: Organisation  # a military region: commune level, holding commune-level committees
    division: Organisation  # a division under the region: commune level too
    regiment_cell: Organisation  # a grassroots cell under the division
    region_cell: Organisation  # a grassroots cell directly under the region


@pytest.fixture
def army(tree: Any) -> Army:
    org = registry.organisation_create
    committee = org(
        actor=None, code="QD", name="Đảng bộ Quân đội", level=OrgLevel.CENTRAL_COMMITTEE, parent=tree.centre
    )
    region = org(
        actor=None, code="QD-QK1", name="Đảng ủy Quân khu 1", level=OrgLevel.COMMUNE, parent=committee
    )
    division = org(
        actor=None, code="QD-QK1-SD3", name="Đảng ủy Sư đoàn 3", level=OrgLevel.COMMUNE, parent=region
    )
    regiment_cell = org(
        actor=None,
        code="QD-QK1-SD3-01",
        name="Chi bộ cơ sở Trung đoàn 2",
        level=OrgLevel.GRASSROOTS_CELL,
        parent=division,
    )
    region_cell = org(
        actor=None,
        code="QD-QK1-01",
        name="Chi bộ cơ sở Cơ quan",
        level=OrgLevel.GRASSROOTS_CELL,
        parent=region,
    )
    return Army(committee, region, division, regiment_cell, region_cell)


def _officer(name: str, role: str, org: Organisation) -> User:
    return User.objects.create_user(name, password="x", role=role, organisation=org)


@pytest.mark.parametrize(
    "child",
    [
        OrgLevel.COMMUNE,  # a regiment's committee under a division, itself under a military region
        OrgLevel.GRASSROOTS_COMMITTEE,
        OrgLevel.GRASSROOTS_CELL,
    ],
)
def test_the_tree_accepts_the_deeper_pairs(army: Army, child: int) -> None:
    created = registry.organisation_create(
        actor=None, code="QD-X1", name="X", level=child, parent=army.division
    )
    assert created.path == f"{army.division.path}QD-X1."


@pytest.mark.parametrize(
    ("child", "parent_attr"),
    [
        (OrgLevel.COMMUNE, "regiment_cell"),  # nothing above the grassroots goes under it
        (OrgLevel.CENTRAL_COMMITTEE, "region"),
        (OrgLevel.CELL, "region"),  # a cell needs its grassroots committee
        (OrgLevel.SUB_COMMITTEE, "division"),
    ],
)
def test_the_tree_refuses_the_wrong_pairs(army: Army, child: int, parent_attr: str) -> None:
    with translation.override("en"), pytest.raises(DomainError) as e:
        registry.organisation_create(
            actor=None, code="QD-X1", name="X", level=child, parent=getattr(army, parent_attr)
        )
    assert "cannot be placed under" in e.value.message


def test_the_nearest_commune_level_committee_decides_the_one_above_does_not(
    army: Army, campaign: Any, make_member: Any
) -> None:
    secretary = _officer("bt_e2", Role.CELL_SECRETARY, army.regiment_cell)
    division = _officer("su_doan", Role.COMMITTEE_OFFICER, army.division)
    region = _officer("quan_khu", Role.COMMITTEE_OFFICER, army.region)
    member = card_holder(make_member, org=army.regiment_cell)
    assert actor_levels(division, army.regiment_cell.path) == {Level.UPPER}
    assert actor_levels(region, army.regiment_cell.path) == frozenset()  # not directly above
    case = case_propose(actor=secretary, campaign=campaign, member=member)
    case = case_transition(actor=secretary, case=case, transition=T.CONFIRM)  # a grassroots cell's secretary
    assert [c.pk for c in queue_for(division, campaign)] == [case.pk]
    assert not queue_for(region, campaign).exists()  # it waits for the division, not the region
    with pytest.raises(CaseError) as e:
        case_transition(actor=region, case=case, transition=T.DECIDE)
    assert "wrong_level" in {p.code for p in e.value.problems}
    case = case_transition(actor=division, case=case, transition=T.DECIDE)
    assert case.state == State.DECIDED
    assert issuing_committee_name(army.regiment_cell) == "Đảng ủy Sư đoàn 3"


def test_a_commune_level_committee_decides_for_the_grassroots_directly_under_it(
    army: Army, campaign: Any, make_member: Any
) -> None:
    region = _officer("quan_khu", Role.COMMITTEE_OFFICER, army.region)
    assert actor_levels(region, army.region_cell.path) == {Level.UPPER}
    assert issuing_committee_name(army.region_cell) == "Đảng ủy Quân khu 1"
