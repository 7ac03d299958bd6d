"""The case services: the whole path up the tree (and the card's down it), the side paths, the rules each
refuses by."""

from __future__ import annotations

from typing import Any

import pytest

from partycard.audit.models import AuditEvent
from partycard.cards import card_number
from partycard.cards.lifecycle import CardKind, CardState
from partycard.cards.lifecycle import CardTransition as CT
from partycard.cards.models import Card, CardEvent
from partycard.cards.services import card_transition
from partycard.exchange.models import Case, CaseEvent, Eligibility
from partycard.exchange.services import CaseError, case_propose, case_transition, cases_transition
from partycard.exchange.workflow import Level, State, Transition
from partycard.registry import services as registry
from partycard.registry.models import Member
from tests.exchange.conftest import card_holder

pytestmark = pytest.mark.django_db

T = Transition


def test_a_case_goes_up_the_tree_and_its_card_down_to_the_old_card(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    member = card_holder(make_member)
    old = Card.objects.get(member=member, kind=CardKind.OLD)
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    steps = [
        (officers.grassroots, T.CONFIRM, State.CONFIRMED),
        (officers.upper, T.DECIDE, State.DECIDED),
        (officers.province, T.FORWARD, State.FORWARDED),
        (officers.centre, T.ACCEPT, State.ACCEPTED),
    ]
    for actor, transition, state in steps:
        case = case_transition(actor=actor, case=case, transition=transition)
        assert case.state == state
    assert card_number.problem(case.card_number) is None
    assert CaseEvent.objects.filter(case=case).count() == 5
    assert AuditEvent.objects.filter(object_type="exchange.case", object_id=str(case.pk)).count() == 5
    # The case ends at the Centre's acceptance; the card it created goes down the tree to the member.
    card = Card.objects.get(case=case)
    assert (card.number, card.kind, card.state, card.member_id) == (
        case.card_number,
        CardKind.NEW,
        CardState.ALLOCATED,
        member.pk,
    )
    way = [
        (officers.centre, CT.START_PRODUCTION, CardState.IN_PRODUCTION),
        (officers.centre, CT.MARK_PRODUCED, CardState.PRODUCED),
        (officers.centre, CT.SEND, CardState.IN_TRANSIT),
        (officers.province, CT.RECEIVE, CardState.RECEIVED),
        (officers.province, CT.SEND, CardState.IN_TRANSIT),
        (officers.upper, CT.RECEIVE, CardState.RECEIVED),
        (officers.upper, CT.SEND, CardState.IN_TRANSIT),
        (officers.grassroots, CT.RECEIVE, CardState.RECEIVED),
        (officers.grassroots, CT.SEND, CardState.IN_TRANSIT),
        (officers.cell, CT.RECEIVE, CardState.RECEIVED),
        (officers.cell, CT.HAND_OVER, CardState.ACTIVE),
    ]
    for actor, transition, state in way:
        card = card_transition(actor=actor, card=card, transition=transition)
        assert card.state == state, transition
    # The new card handed over replaces the old one, which the cell recovers and the committee destroys.
    old.refresh_from_db()
    assert old.state == CardState.SUPERSEDED
    old = card_transition(actor=officers.cell, card=old, transition=CT.RECOVER)
    old = card_transition(actor=officers.upper, card=old, transition=CT.DESTROY)
    assert old.state == CardState.DESTROYED
    assert CardEvent.objects.filter(card=card).count() == 1 + len(way)
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED  # the card's way leaves the case alone


def test_each_step_is_refused_to_the_wrong_level(officers: Any, campaign: Any, make_member: Any) -> None:
    case = case_propose(actor=officers.cell, campaign=campaign, member=card_holder(make_member))
    for wrong in (officers.cell, officers.upper, officers.centre, officers.province, officers.other_cell):
        with pytest.raises(CaseError) as e:
            case_transition(actor=wrong, case=case, transition=T.CONFIRM)
        # Worded by the service: the English message and its Vietnamese from the catalogue.
        expected = "not_found" if wrong is officers.other_cell else "wrong_level"  # a sibling sees none
        assert [p.code for p in e.value.problems] == [expected]
        assert all(p.message_en and p.message_vi != p.message_en for p in e.value.problems)
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
    case = case_transition(actor=officers.province, case=case, transition=T.FORWARD)
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
    # Returned to the province, the province resubmits it: it is forwarded again.
    case = case_transition(actor=officers.grassroots, case=case, transition=T.CONFIRM)
    case = case_transition(actor=officers.upper, case=case, transition=T.DECIDE)
    case = case_transition(actor=officers.province, case=case, transition=T.FORWARD)
    case = case_transition(
        actor=officers.centre, case=case, transition=T.RETURN, reason="Thiếu chữ ký", return_to=Level.PROVINCE
    )
    with pytest.raises(CaseError):  # not the committee below: the case waits at the province
        case_transition(actor=officers.upper, case=case, transition=T.RESUBMIT)
    case = case_transition(actor=officers.province, case=case, transition=T.RESUBMIT)
    assert (case.state, case.returned_to) == (State.FORWARDED, "")


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


_UP = [
    ("grassroots", T.CONFIRM),
    ("upper", T.DECIDE),
    ("province", T.FORWARD),
    ("centre", T.ACCEPT),
]


@pytest.mark.parametrize(
    "step",
    [
        T.CONFIRM,
        T.DECIDE,
        T.FORWARD,
        T.ACCEPT,
    ],
)
def test_each_step_up_refuses_a_member_who_stopped_being_eligible_behind_the_hook(
    officers: Any, campaign: Any, make_member: Any, step: Transition
) -> None:
    """A change that bypasses the services (a bulk load) does not hold the case: the step checks again."""
    member = card_holder(make_member)
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    for name, transition in _UP[: [t for _, t in _UP].index(step)]:
        case = case_transition(actor=getattr(officers, name), case=case, transition=transition)
    Member.objects.filter(pk=member.pk).update(under_discipline=True)
    actor = getattr(officers, {t: n for n, t in _UP}[step])
    with pytest.raises(CaseError) as e:
        case_transition(actor=actor, case=case, transition=step)
    assert [p.code for p in e.value.problems][:2] == ["not_eligible", "under_discipline"]
    assert Case.objects.get(pk=case.pk).state == case.state


def test_death_cancels_the_case(officers: Any, campaign: Any, make_member: Any) -> None:
    member = card_holder(make_member)
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    registry.member_update(actor=officers.cell, member=member, changes={"status": "deceased"})
    case.refresh_from_db()
    assert case.state == State.CANCELLED


def test_an_accepted_case_cannot_be_cancelled_death_revokes_its_card_instead(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    member = card_holder(make_member)
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    for actor, transition in [
        (officers.grassroots, T.CONFIRM),
        (officers.upper, T.DECIDE),
        (officers.province, T.FORWARD),
        (officers.centre, T.ACCEPT),
    ]:
        case = case_transition(actor=actor, case=case, transition=transition)
    card = card_transition(
        actor=officers.centre, card=Card.objects.get(case=case), transition=CT.START_PRODUCTION
    )
    with pytest.raises(CaseError) as e:  # the deciding committee may not cancel it any more
        case_transition(actor=officers.upper, case=case, transition=T.CANCEL, reason="Từ trần")
    assert [p.code for p in e.value.problems] == ["wrong_state"]
    registry.member_update(actor=officers.cell, member=member, changes={"status": "deceased"})
    case.refresh_from_db()
    card.refresh_from_db()
    assert (case.state, card.state, card.note) == (State.ACCEPTED, CardState.REVOKED, "deceased")


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
