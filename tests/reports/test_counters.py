"""The counters after each kind of change, written from the workflow and the card's life
(exchange/workflow.py, cards/lifecycle.py, DOMAIN.md): a case is in one state at a time, so a step moves
one count from the old state to the new one, in its cell and in every organisation above it; a transfer
carries the member's case, card, verdict and membership to the new cell and its ancestors; a moved
organisation carries its subtree's counts from its old ancestors to its new ones; a change rolled back
leaves no count behind."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from partycard.cards.lifecycle import CardTransition as CT
from partycard.cards.models import Card
from partycard.cards.services import card_transition
from partycard.exchange.models import Campaign
from partycard.exchange.services import case_propose, case_transition, evaluate_members
from partycard.exchange.workflow import Level, Transition
from partycard.registry import services as registry
from partycard.reports.models import Tally, TallyDay
from tests.factories import card_walk
from tests.reports.conftest import card_holder, counts, verified

pytestmark = pytest.mark.django_db

T = Transition


def _chain(tree: Any) -> list[Any]:
    """cell_a and every organisation above it, up to the Centre."""
    return [tree.cell_a, tree.school, tree.ba_dinh, tree.hanoi, tree.centre]


def _eligible_member(make_member: Any, campaign: Any, **overrides: Any) -> Any:
    member = card_holder(make_member, **overrides)
    evaluate_members(campaign, [member.pk])
    return member


def test_a_proposal_then_its_confirmation_moves_one_count_up_the_whole_chain(
    tree: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    member = _eligible_member(make_member, campaign)
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    for org in _chain(tree):
        got = counts(org, campaign.pk)
        assert got.get("case_proposed") == 1, org.code
        assert "case_confirmed" not in got
    assert counts(tree.hue, campaign.pk).get("case_proposed") is None
    case_transition(actor=officers.grassroots, case=case, transition=T.CONFIRM)
    for org in _chain(tree):
        got = counts(org, campaign.pk)
        assert (got.get("case_proposed"), got.get("case_confirmed")) == (None, 1), org.code
    assert counts(tree.cell_b, campaign.pk) == {}  # the sibling cell counts nothing
    assert verified() == []


def test_a_transition_rolled_back_leaves_no_count(
    tree: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    member = _eligible_member(make_member, campaign)
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    before = list(Tally.objects.order_by("pk").values_list("organisation_id", "campaign", "key", "slot", "n"))
    days = list(TallyDay.objects.order_by("pk").values_list("key", "delta"))
    with pytest.raises(RuntimeError), transaction.atomic():
        case_transition(actor=officers.grassroots, case=case, transition=T.CONFIRM)
        assert counts(tree.centre, campaign.pk).get("case_confirmed") == 1  # counted in the transaction…
        raise RuntimeError("the writer's transaction fails after the step")
    # … and gone with it.
    assert (
        list(Tally.objects.order_by("pk").values_list("organisation_id", "campaign", "key", "slot", "n"))
        == before
    )
    assert list(TallyDay.objects.order_by("pk").values_list("key", "delta")) == days
    assert verified() == []


def test_return_resubmit_reject_each_move_the_count_to_their_state(
    tree: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    member = _eligible_member(make_member, campaign)
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    case = case_transition(actor=officers.grassroots, case=case, transition=T.CONFIRM)
    case = case_transition(
        actor=officers.upper, case=case, transition=T.RETURN, reason="Thiếu ảnh", return_to=Level.CELL
    )
    assert counts(tree.centre, campaign.pk).get("case_returned") == 1
    assert counts(tree.centre, campaign.pk).get("case_confirmed") is None
    case = case_transition(actor=officers.cell, case=case, transition=T.RESUBMIT)
    assert counts(tree.centre, campaign.pk).get("case_proposed") == 1
    case_transition(actor=officers.grassroots, case=case, transition=T.REJECT, reason="Không đủ điều kiện")
    got = counts(tree.centre, campaign.pk)
    assert (got.get("case_rejected"), got.get("case_proposed"), got.get("case_returned")) == (1, None, None)
    assert verified() == []


def test_a_verdict_re_evaluated_moves_its_count_and_its_reason(
    tree: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    member = _eligible_member(make_member, campaign)
    case_propose(actor=officers.cell, campaign=campaign, member=member)
    assert counts(tree.hanoi, campaign.pk).get("eligible") == 1
    # Under disciplinary review: the exchange waits (postponed) and the open case is held.
    registry.member_update(actor=None, member=member, changes={"under_discipline": True})
    got = counts(tree.hanoi, campaign.pk)
    assert got.get("eligible") is None
    assert got.get("postponed") == 1
    assert got.get("reason:under_discipline") == 1
    assert (got.get("case_on_hold"), got.get("case_proposed")) == (1, None)
    registry.member_update(actor=None, member=member, changes={"under_discipline": False})
    got = counts(tree.hanoi, campaign.pk)
    assert (got.get("eligible"), got.get("postponed"), got.get("reason:under_discipline")) == (1, None, None)
    assert (got.get("case_on_hold"), got.get("case_proposed")) == (None, 1)
    assert verified() == []


def test_acceptance_creates_the_card_and_its_way_down_hands_it_over(
    tree: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    member = _eligible_member(make_member, campaign)
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    for actor, step in (
        (officers.grassroots, T.CONFIRM),
        (officers.upper, T.DECIDE),
        (officers.province, T.FORWARD),
        (officers.centre, T.ACCEPT),
    ):
        case = case_transition(actor=actor, case=case, transition=step)
    got = counts(tree.cell_a, campaign.pk)
    assert (got.get("case_accepted"), got.get("card_allocated"), got.get("old_active")) == (1, 1, 1)
    card = Card.objects.get(case=case)
    card_walk(card, officers, hand_over=False)
    assert counts(tree.centre).get("card_received") == 1
    card_transition(actor=officers.cell, card=card, transition=CT.HAND_OVER)
    got = counts(tree.centre)
    # The new card handed over supersedes the old one (cards/services._supersede_others).
    assert (got.get("card_active"), got.get("card_received")) == (1, None)
    assert (got.get("old_superseded"), got.get("old_active")) == (1, None)
    assert verified() == []


def test_a_transfer_carries_every_count_to_the_new_cell_and_its_ancestors(
    tree: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    member = _eligible_member(make_member, campaign)
    case_propose(actor=officers.cell, campaign=campaign, member=member)
    carried = {"members": 1, "old_active": 1, "eligible": 1, "case_proposed": 1}
    for org in _chain(tree):
        assert counts(org, campaign.pk) == carried, org.code
    registry.member_transfer(actor=None, member=member, to_cell=tree.hue_cell, reason="Chuyển công tác")
    for org in (tree.cell_a, tree.school, tree.ba_dinh, tree.hanoi):
        assert counts(org, campaign.pk) == {}, org.code
    for org in (tree.hue_cell, tree.thuan_hoa, tree.hue, tree.centre):
        assert counts(org, campaign.pk) == carried, org.code
    assert verified() == []


def test_moving_an_organisation_moves_its_subtree_counts_between_ancestors(
    tree: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    member = _eligible_member(make_member, campaign)
    case_propose(actor=officers.cell, campaign=campaign, member=member)
    _eligible_member(
        make_member, campaign, org=tree.cell_b, citizen_id="001080054321", old_card_number="23456789"
    )
    school = counts(tree.school, campaign.pk)
    assert school["members"] == 2
    registry.organisation_move(actor=None, organisation=tree.school, new_parent=tree.thuan_hoa)
    # The school and its cells count what they counted; Ba Đình and Hà Nội lose it, Thuận Hóa and Huế gain
    # it, the Centre (above both ways) keeps it.
    assert counts(tree.school, campaign.pk) == school
    assert counts(tree.cell_a, campaign.pk)["case_proposed"] == 1
    assert counts(tree.ba_dinh, campaign.pk) == counts(tree.hanoi, campaign.pk) == {}
    assert counts(tree.thuan_hoa, campaign.pk) == counts(tree.hue, campaign.pk) == school
    assert counts(tree.centre, campaign.pk) == school
    assert verified() == []
    # Counting after the move goes up the new way.
    registry.member_update(actor=None, member=member, changes={"status": "deceased"})
    assert counts(tree.hue, campaign.pk)["members"] == 1
    assert counts(tree.hue, campaign.pk).get("case_cancelled") == 1
    assert verified() == []


def test_a_roster_import_and_old_cards_count_each_new_member(tree: Any, make_member: Any) -> None:
    for i in range(3):
        make_member(citizen_id=f"00108001000{i}", old_card_number=f"3000000{i}")
    make_member(org=tree.hue_cell, citizen_id="001080010009", status="deceased", old_card_number=None)
    assert counts(tree.hanoi) == {"members": 3, "old_active": 3}
    assert counts(tree.hue) == {}  # a deceased member is not counted
    assert counts(tree.centre)["members"] == 3
    assert verified() == []


@pytest.mark.django_db(transaction=True)
def test_an_evaluation_called_outside_any_transaction_stores_its_verdicts_and_their_counts_together(
    tree: Any, make_member: Any
) -> None:
    """A verdict and its count commit together (found by bench/report_bench.py: a caller with no
    transaction of its own, on PostgreSQL, was refused by the counters' guard)."""
    member = card_holder(make_member)
    later = Campaign.objects.create(code="dot-sau", name="Đợt sau", cut_off=dt.date(2026, 6, 30))
    assert not transaction.get_connection().in_atomic_block
    evaluate_members(later, [member.pk])  # the member's first verdict in this campaign: a count moves
    assert counts(tree.cell_a, later.pk).get("eligible") == 1
    assert verified() == []
