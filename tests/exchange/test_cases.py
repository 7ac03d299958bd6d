"""The case services: the whole path up and down the tree, the side paths, the rules each refuses by."""

from __future__ import annotations

from typing import Any

import pytest

from partycard.audit.models import AuditEvent
from partycard.exchange import card_number
from partycard.exchange.models import Case, CaseEvent, Eligibility
from partycard.exchange.services import CaseError, case_propose, case_transition, cases_transition
from partycard.exchange.workflow import Level, State, Transition
from partycard.registry import services as registry
from tests.exchange.conftest import card_holder

pytestmark = pytest.mark.django_db

T = Transition


def test_a_case_goes_up_the_tree_and_down_to_the_old_card(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    member = card_holder(make_member)
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    steps = [
        (officers.grassroots, T.CONFIRM, State.CONFIRMED),
        (officers.upper, T.DECIDE, State.DECIDED),
        (officers.centre, T.ACCEPT, State.ACCEPTED),
        (officers.centre, T.START_PRODUCTION, State.IN_PRODUCTION),
        (officers.centre, T.MARK_PRODUCED, State.PRODUCED),
        (officers.centre, T.SEND, State.SENT),
        (officers.cell, T.HAND_OVER, State.HANDED_OVER),
        (officers.cell, T.RECOVER_OLD, State.OLD_RECOVERED),
        (officers.upper, T.DESTROY_OLD, State.OLD_DESTROYED),
    ]
    for actor, transition, state in steps:
        case = case_transition(actor=actor, case=case, transition=transition)
        assert case.state == state
    assert card_number.problem(case.card_number) is None
    assert CaseEvent.objects.filter(case=case).count() == 10
    assert AuditEvent.objects.filter(object_type="exchange.case", object_id=str(case.pk)).count() == 10


def test_each_step_is_refused_to_the_wrong_level(officers: Any, campaign: Any, make_member: Any) -> None:
    case = case_propose(actor=officers.cell, campaign=campaign, member=card_holder(make_member))
    for wrong in (officers.cell, officers.upper, officers.centre, officers.province, officers.other_cell):
        with pytest.raises(CaseError):
            case_transition(actor=wrong, case=case, transition=T.CONFIRM)
    # Another province's officer does not even find it.
    outcome = cases_transition(actor=officers.hue_upper, transition=T.CONFIRM, case_ids=[case.pk])
    assert outcome.failures[0].message_en == "No such case in your scope."
    assert Case.objects.get(pk=case.pk).state == State.PROPOSED


def test_an_ineligible_member_cannot_be_proposed_and_says_why(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    member = make_member(old_card_number=None)  # holds no card
    with pytest.raises(CaseError) as e:
        case_propose(actor=officers.cell, campaign=campaign, member=member)
    assert "not eligible" in str(e.value)
    assert not Case.objects.exists()


def test_returned_cases_come_back_to_the_level_that_fixes_them(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    case = case_propose(actor=officers.cell, campaign=campaign, member=card_holder(make_member))
    case = case_transition(actor=officers.grassroots, case=case, transition=T.CONFIRM)
    case = case_transition(actor=officers.upper, case=case, transition=T.DECIDE)
    with pytest.raises(CaseError):  # a reason is required
        case_transition(actor=officers.centre, case=case, transition=T.RETURN, return_to=Level.CELL)
    case = case_transition(
        actor=officers.centre, case=case, transition=T.RETURN, reason="Ảnh mờ", return_to=Level.CELL
    )
    assert (case.state, case.returned_to, case.note) == (State.RETURNED, Level.CELL, "Ảnh mờ")
    with pytest.raises(CaseError):  # not the grassroots: the case waits at the cell
        case_transition(actor=officers.grassroots, case=case, transition=T.RESUBMIT)
    case = case_transition(actor=officers.cell, case=case, transition=T.RESUBMIT)
    assert (case.state, case.returned_to) == (State.PROPOSED, "")


def test_a_change_that_makes_the_member_ineligible_holds_the_case_and_its_fix_resumes_it(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    member = card_holder(make_member)
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    case = case_transition(actor=officers.grassroots, case=case, transition=T.CONFIRM)
    registry.member_update(actor=officers.cell, member=member, changes={"under_discipline": True})
    case.refresh_from_db()
    assert (case.state, case.held_from) == (State.ON_HOLD, State.CONFIRMED)
    assert not Eligibility.objects.get(campaign=campaign, member=member).eligible
    registry.member_update(actor=officers.cell, member=member, changes={"under_discipline": False})
    case.refresh_from_db()
    assert (case.state, case.held_from) == (State.CONFIRMED, "")


def test_death_cancels_the_case(officers: Any, campaign: Any, make_member: Any) -> None:
    member = card_holder(make_member)
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    registry.member_update(actor=officers.cell, member=member, changes={"status": "deceased"})
    case.refresh_from_db()
    assert case.state == State.CANCELLED


def test_bulk_reports_each_case_that_could_not_move(officers: Any, campaign: Any, make_member: Any) -> None:
    ok = [
        card_holder(make_member, citizen_id=f"0010800{i:05d}", old_card_number=f"1000000{i}")
        for i in range(3)
    ]
    cases = [case_propose(actor=officers.cell, campaign=campaign, member=m) for m in ok]
    case_transition(actor=officers.grassroots, case=cases[0], transition=T.CONFIRM)
    outcome = cases_transition(
        actor=officers.grassroots, transition=T.CONFIRM, case_ids=[c.pk for c in cases] + [999999]
    )
    assert sorted(outcome.succeeded) == sorted(c.pk for c in cases[1:])
    assert {f.target_id for f in outcome.failures} == {cases[0].pk, 999999}
