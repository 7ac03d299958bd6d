"""The migration that starts the counters (reports 0002): what existed before them is counted, every
organisation's subtree, so that ``report verify`` finds nothing to correct right after it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from partycard.exchange.services import case_propose, case_transition, evaluate_members
from partycard.exchange.workflow import Transition
from partycard.registry import services as registry
from partycard.reports.models import Tally, TallyDay
from tests.reports.conftest import card_holder, counts, verified


def _migrate(target: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.fixture
def latest_after(transactional_db: Any) -> Iterator[None]:
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_cases_cards_verdicts_and_members_are_counted(
    latest_after: None, tree: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    member = card_holder(make_member)
    evaluate_members(campaign, [member.pk])
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    case_transition(actor=officers.grassroots, case=case, transition=Transition.CONFIRM)
    card_holder(make_member, org=tree.hue_cell, citizen_id="001080099999", old_card_number="87654321")
    registry.member_update(actor=None, member=member, changes={"under_discipline": True})
    expected = {
        org.code: counts(org, campaign.pk) for org in (tree.centre, tree.hanoi, tree.hue, tree.cell_a)
    }
    # Back to before the counters' data, and the counters emptied, as on a database that predates them.
    _migrate([("reports", "0001_tallies")])
    Tally.objects.all().delete()
    TallyDay.objects.all().delete()
    _migrate([("reports", "0002_tallies_of_existing_data")])
    assert {
        org.code: counts(org, campaign.pk) for org in (tree.centre, tree.hanoi, tree.hue, tree.cell_a)
    } == expected
    assert expected["TW"]["case_on_hold"] == 1 and expected["TW"]["members"] == 2
    assert verified() == []
