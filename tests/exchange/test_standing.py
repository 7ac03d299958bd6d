"""What a change to a member does to their open case (services/standing.py), each from the rule's text:
a postponing reason holds the case and its end resumes it; a refusing reason rejects it, with the reason; an
ending one cancels it; a transfer is a change of cell, and the case follows the member, still open."""

from __future__ import annotations

from typing import Any

import pytest

from partycard.accounts.roles import Action
from partycard.audit.models import AuditEvent
from partycard.cards.models import Card
from partycard.exchange.models import Case, CaseEvent
from partycard.exchange.services import case_propose, case_transition, verdict_of
from partycard.exchange.workflow import State, Transition
from partycard.registry import services as registry
from partycard.registry.models import Member
from tests.conftest import recent_months
from tests.exchange.conftest import card_holder

pytestmark = pytest.mark.django_db

T = Transition


def _confirmed(officers: Any, campaign: Any, member: Member) -> Case:
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    return case_transition(actor=officers.grassroots, case=case, transition=T.CONFIRM)


def _change(officers: Any, member: Member, **changes: Any) -> Member:
    return registry.member_update(actor=officers.cell, member=member, changes=changes)


def _state(case: Case) -> tuple[str, str]:
    case.refresh_from_db()
    return case.state, case.held_from


def test_inspection_postpones_the_case_and_its_outcome_resumes_it(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    """DOMAIN.md: members under investigation: "exchange postponed until resolved"."""
    member = card_holder(make_member)
    case = _confirmed(officers, campaign, member)
    _change(officers, member, under_inspection=True)
    assert _state(case) == (State.ON_HOLD, State.CONFIRMED)
    _change(officers, member, under_inspection=False)
    assert _state(case) == (State.CONFIRMED, "")


def test_suspended_activities_postpone_the_case(officers: Any, campaign: Any, make_member: Any) -> None:
    """DOMAIN.md: "A member whose activities are suspended (đình chỉ sinh hoạt) waits.\""""
    member = card_holder(make_member)
    case = _confirmed(officers, campaign, member)
    _change(officers, member, activities_suspended=True)
    assert _state(case) == (State.ON_HOLD, State.CONFIRMED)
    _change(officers, member, activities_suspended=False)
    assert _state(case) == (State.CONFIRMED, "")


def test_a_member_made_probationary_has_the_case_rejected_with_the_reason(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    """Directive 51-CT/TW: only official members get a new card: a refusal, not a wait."""
    member = card_holder(make_member)
    case = _confirmed(officers, campaign, member)
    _change(officers, member, status="probationary", date_official=None)
    assert _state(case) == (State.REJECTED, "")
    assert "chính thức" in case.note  # the reason, in Vietnamese
    event = CaseEvent.objects.filter(case=case).latest("at", "id")
    assert (event.transition, event.from_state, event.to_state) == (T.REJECT, State.CONFIRMED, State.REJECTED)
    assert event.reason == case.note and event.actor_id == officers.cell.pk
    assert AuditEvent.objects.filter(action="exchange.reject", object_id=str(case.pk)).exists()


def test_three_months_of_unpaid_dues_reject_two_do_not_a_good_reason_excuses(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    """Charter Art. 8(2): "does not pay dues for three months within a year" "without good reason"."""
    member = card_holder(make_member)
    case = _confirmed(officers, campaign, member)
    _change(officers, member, dues_unpaid_months=recent_months(2))
    assert _state(case) == (State.CONFIRMED, "")
    member = _change(officers, member, dues_unpaid_months=recent_months(3), dues_unpaid_good_reason=True)
    assert _state(case) == (State.CONFIRMED, "")
    _change(officers, member, dues_unpaid_good_reason=False)
    assert _state(case) == (State.REJECTED, "")
    assert "đảng phí" in case.note and "3 tháng" in case.note


def test_three_months_over_more_than_a_year_do_not_count(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    """Charter Art. 8(2): "within a year": a month 13 months back is outside the rolling year."""
    member = card_holder(make_member)
    case = _confirmed(officers, campaign, member)
    months = recent_months(2) + recent_months(1, back=12)
    _change(officers, member, activities_skipped_months=months)
    assert _state(case) == (State.CONFIRMED, "")
    assert verdict_of(Member.objects.get(pk=member.pk), campaign).eligible


def test_a_held_case_whose_reasons_become_refusing_is_rejected(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    member = card_holder(make_member)
    case = _confirmed(officers, campaign, member)
    member = _change(officers, member, under_discipline=True)
    assert _state(case) == (State.ON_HOLD, State.CONFIRMED)
    _change(officers, member, old_card_number=None)  # "already hold a card": refused now
    assert _state(case)[0] == State.REJECTED


def test_after_the_centres_acceptance_a_refusal_leaves_the_case_and_its_card(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    """The case ends at the Centre's acceptance (issue 13: "from ACCEPTED on, production and distribution
    are the card's states"): a refusing reason that arises afterwards reopens nothing, and the card stays
    where it is; only an ending reason (DOMAIN.md: death, removal, expulsion) revokes it (docs/cards.md)."""
    member = card_holder(make_member)
    case = _confirmed(officers, campaign, member)
    case = case_transition(actor=officers.upper, case=case, transition=T.DECIDE)
    case = case_transition(actor=officers.province, case=case, transition=T.FORWARD)
    case = case_transition(actor=officers.centre, case=case, transition=T.ACCEPT)
    member = _change(officers, member, dues_unpaid_months=recent_months(3))
    assert _state(case) == (State.ACCEPTED, "")
    card = Card.objects.get(case=case)
    assert card.state == "allocated"
    _change(officers, member, status="expelled")
    card.refresh_from_db()
    assert (_state(case), card.state, card.note) == ((State.ACCEPTED, ""), "revoked", "expelled")


def test_death_cancels_the_case(officers: Any, campaign: Any, make_member: Any) -> None:
    member = card_holder(make_member)
    case = _confirmed(officers, campaign, member)
    _change(officers, member, status="deceased")
    assert _state(case)[0] == State.CANCELLED


def test_being_abroad_changes_neither_the_verdict_nor_the_case(
    officers: Any, campaign: Any, make_member: Any
) -> None:
    """DOMAIN.md: "being abroad does not change a member's standing ... a setting, never a refusal"."""
    member = card_holder(make_member)
    case = _confirmed(officers, campaign, member)
    before = verdict_of(member, campaign)
    member = _change(officers, member, abroad=True)
    assert verdict_of(member, campaign) == before and before.eligible
    assert _state(case) == (State.CONFIRMED, "")


def test_a_transfer_moves_the_open_case_with_the_member(
    tree: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    """DOMAIN.md: "A transfer is not leaving the Party: in a national registry it is a change of cell, and
    the member's record, exchange case and card follow them"; only a transfer in progress postpones."""
    member = card_holder(make_member)
    case = _confirmed(officers, campaign, member)
    member = _change(officers, member, transfer_in_progress=True)
    assert _state(case) == (State.ON_HOLD, State.CONFIRMED)
    registry.member_transfer(actor=None, member=member, to_cell=tree.hue_cell, reason="Chuyển công tác")
    case.refresh_from_db()
    assert (case.state, case.organisation_id, case.path) == (
        State.CONFIRMED,
        tree.hue_cell.pk,
        tree.hue_cell.path,
    )
    assert AuditEvent.objects.filter(action="exchange.follow_member", object_id=str(case.pk)).exists()
    # The officers of the new place act on it; those of the old one no longer see it.
    assert not Case.objects.scoped(officers.upper, Action.VIEW_CASE).filter(pk=case.pk).exists()
    case = case_transition(actor=officers.hue_upper, case=case, transition=T.DECIDE)
    assert case.state == State.DECIDED
