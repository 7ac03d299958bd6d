"""The cards' services with the rest of the system: the exchange's acceptance creates the card, the
hand-over replaces the old card, a member change reaches the card and its e-card, the scope holds."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from partycard.cards.lifecycle import CardKind, CardLevel, CardTransition
from partycard.cards.models import Card, CardEvent
from partycard.cards.selectors import card_get, card_in_use, card_route
from partycard.cards.services import CardError, card_transition, cards_register_old
from partycard.core.scope import OutOfScope
from partycard.exchange.services import CaseError, case_propose, case_transition
from partycard.exchange.workflow import State, Transition
from partycard.registry import services as registry
from partycard.registry.choices import MemberStatus
from tests.cards.conftest import card_in_hands, new_card
from tests.exchange.conftest import Officers, card_holder

pytestmark = pytest.mark.django_db


def test_the_centres_acceptance_allocates_the_card_and_ends_the_case(
    officers: Officers, make_member: Any, campaign: Any
) -> None:
    member = card_holder(make_member)
    o = officers
    case = case_propose(actor=o.cell, campaign=campaign, member=member)
    for actor, transition in (
        (o.grassroots, Transition.CONFIRM),
        (o.upper, Transition.DECIDE),
        (o.province, Transition.FORWARD),
        (o.centre, Transition.ACCEPT),
    ):
        case = case_transition(actor=actor, case=case, transition=transition)
    assert case.state == State.ACCEPTED
    card = Card.objects.get(case=case)
    assert (card.number, card.kind, card.state, card.member_id) == (
        case.card_number,
        "new",
        "allocated",
        member.pk,
    )
    assert [e.transition for e in card.events.all()] == ["allocate"]


def test_the_province_forwards_and_only_it(officers: Officers, make_member: Any, campaign: Any) -> None:
    """The committees directly under the Centre review and forward their committees' decisions."""
    o = officers
    case = case_propose(actor=o.cell, campaign=campaign, member=card_holder(make_member))
    case = case_transition(actor=o.grassroots, case=case, transition=Transition.CONFIRM)
    case = case_transition(actor=o.upper, case=case, transition=Transition.DECIDE)
    for wrong in (o.centre, o.upper, o.hue_upper):
        with pytest.raises(CaseError) as e:
            case_transition(actor=wrong, case=case, transition=Transition.FORWARD)
        assert (
            {p.code for p in e.value.problems} == {"wrong_level"}
            if wrong is not o.hue_upper
            else {"not_found"}
        )
    with pytest.raises(CaseError) as e:  # the Centre cannot skip the province
        case_transition(actor=o.centre, case=case, transition=Transition.ACCEPT)
    assert "wrong_state" in {p.code for p in e.value.problems}
    case = case_transition(actor=o.province, case=case, transition=Transition.FORWARD)
    assert case.state == State.FORWARDED


def test_the_card_goes_down_the_tree_and_its_hand_over_replaces_the_old_card(
    tree: Any, officers: Officers, make_member: Any
) -> None:
    member = card_holder(make_member, old_card_number="87654321")
    old = Card.objects.get(member=member, kind=CardKind.OLD)
    assert (old.number, old.state) == ("87654321", "active")
    card = card_in_hands(member, officers)
    assert card.state == "active"
    old.refresh_from_db()
    assert old.state == "superseded"
    held = [e.holder.code for e in card.events.filter(transition="receive").order_by("at", "id")]
    assert held == ["HN", "HN-BD", "HN-BD-01", "HN-BD-01-01"]
    assert card_in_use(member) == card
    # The old card is then recovered by the cell and destroyed by the committee above the grassroots.
    card_transition(actor=officers.cell, card=old, transition=CardTransition.RECOVER)
    with pytest.raises(CardError):
        card_transition(actor=officers.cell, card=old, transition=CardTransition.DESTROY)
    destroyed = card_transition(actor=officers.upper, card=old, transition=CardTransition.DESTROY)
    assert destroyed.state == "destroyed"


def test_a_card_is_not_sent_past_the_members_cell(officers: Officers, make_member: Any) -> None:
    card = card_in_hands(card_holder(make_member), officers)
    with pytest.raises(CardError):
        card_transition(actor=officers.cell, card=card, transition=CardTransition.SEND)


def test_a_grassroots_cell_is_one_stop_on_the_way(tree: Any, make_member: Any) -> None:
    route = card_route(tree.hue_cell)
    assert [level for level, _org in route] == [
        CardLevel.CENTRE,
        CardLevel.PROVINCE,
        CardLevel.UPPER,
        CardLevel.CELL,
    ]
    assert route[-1][1] == tree.hue_cell


def test_expulsion_revokes_the_card_wherever_it_is(officers: Officers, make_member: Any) -> None:
    """DOMAIN.md: expulsion (khai trừ): the card is recovered; until then it must not verify."""
    member = card_holder(make_member)
    in_hands = card_in_hands(member, officers)
    registry.member_update(
        actor=None, member=member, changes={"status": MemberStatus.EXPELLED}, reason="khai trừ"
    )
    in_hands.refresh_from_db()
    assert in_hands.state == "revoked" and in_hands.note == "expelled"
    assert not Card.objects.filter(member=member, state__in=["active", "suspended", "damaged"]).exists()
    assert card_in_use(member) is None


def test_a_transfer_takes_the_card_along(tree: Any, officers: Officers, make_member: Any) -> None:
    """DOMAIN.md: a transfer is a change of cell; the member's card follows them."""
    member = card_holder(make_member)
    card = card_in_hands(member, officers)
    registry.member_update(actor=None, member=member, changes={"organisation": tree.cell_b})
    card.refresh_from_db()
    assert card.state == "active" and card.path == tree.cell_b.path
    assert card_get(officers.other_cell, card.number) == card  # the new cell's secretary sees it
    with pytest.raises(Http404):
        card_get(officers.cell, card.number)  # the old one no longer does


def test_out_of_scope_cards_are_missing(officers: Officers, make_member: Any, tree: Any) -> None:
    member = card_holder(make_member)
    card = new_card(member)
    with pytest.raises(Http404):
        card_get(officers.hue_upper, card.number)
    with pytest.raises(OutOfScope):
        card_transition(actor=officers.hue_upper, card=card, transition=CardTransition.REVOKE, reason="x")
    assert card.events.count() == 1


def test_old_cards_are_registered_once(make_member: Any) -> None:
    member = card_holder(make_member, old_card_number="11112222")
    assert Card.objects.filter(member=member, kind=CardKind.OLD).count() == 1
    assert cards_register_old(actor=None) == 0  # already recorded: nothing twice
    assert CardEvent.objects.filter(card__member=member, transition="register_old").count() == 1


def test_a_probationary_member_has_no_old_card_to_register(make_member: Any) -> None:
    member = make_member(status=MemberStatus.PROBATIONARY, date_official=None, old_card_number=None)
    assert not Card.objects.filter(member=member).exists()


def test_card_show_prints_the_state_and_history(officers: Officers, make_member: Any) -> None:
    import io

    from django.core.management import CommandError, call_command

    member = card_holder(make_member)
    card = card_in_hands(member, officers)
    out = io.StringIO()
    call_command("card", "show", card.number, stdout=out)
    text = out.getvalue()
    assert "[active]" in text
    assert text.count("receive:") == 4 and "hand_over: received → active" in text and "(bt_a)" in text
    with pytest.raises(CommandError):
        call_command("card", "show", "0000000000", stdout=io.StringIO())


def test_suspended_activities_suspend_the_card_until_they_resume(
    officers: Officers, make_member: Any
) -> None:
    """Đình chỉ sinh hoạt đảng: the card, with which the member votes in party meetings (Regulation
    06-QĐ/TW), does not verify while the member's activities are suspended."""
    member = card_holder(make_member)
    card = card_in_hands(member, officers)
    registry.member_update(actor=None, member=member, changes={"activities_suspended": True})
    card.refresh_from_db()
    assert card.state == "suspended"
    registry.member_update(actor=None, member=member, changes={"activities_suspended": False})
    card.refresh_from_db()
    assert card.state == "active"


def test_a_suspension_decided_on_the_card_is_not_lifted_by_the_record(
    officers: Officers, make_member: Any
) -> None:
    member = card_holder(make_member)
    card = card_in_hands(member, officers)
    card_transition(actor=officers.upper, card=card, transition=CardTransition.SUSPEND, reason="QĐ 7")
    registry.member_update(actor=None, member=member, changes={"phone": "0912345678"})
    card.refresh_from_db()
    assert card.state == "suspended"


def test_in_a_deeper_tree_the_nearest_upper_committee_receives_the_card(tree: Any) -> None:
    """DOMAIN.md: the Army and Public Security have several tiers between the committee directly under the
    Centre and the grassroots; the committee directly above the grassroots is the nearest of them."""
    from partycard.accounts.models import User
    from partycard.accounts.roles import Role
    from partycard.cards.selectors import card_actor_levels
    from partycard.registry.choices import OrgLevel

    def org(code: str, level: int, parent: Any) -> Any:
        return registry.organisation_create(
            actor=None, code=code, name=f"Đảng bộ {code}", level=level, parent=parent
        )

    army = org("QUTW", OrgLevel.CENTRAL_COMMITTEE, tree.centre)
    region = org("QUTW-QK1", OrgLevel.COMMUNE, army)
    division = org("QUTW-QK1-SD3", OrgLevel.COMMUNE, region)
    regiment = org("QUTW-QK1-SD3-E1", OrgLevel.GRASSROOTS_COMMITTEE, division)
    cell = org("QUTW-QK1-SD3-E1-C1", OrgLevel.CELL, regiment)
    route = card_route(cell)
    assert [(level, o.code) for level, o in route] == [
        (CardLevel.CENTRE, "TW"),
        (CardLevel.PROVINCE, "QUTW"),
        (CardLevel.UPPER, "QUTW-QK1-SD3"),
        (CardLevel.GRASSROOTS, "QUTW-QK1-SD3-E1"),
        (CardLevel.CELL, "QUTW-QK1-SD3-E1-C1"),
    ]
    for place, expected in ((division, {CardLevel.UPPER}), (region, set())):
        officer = User.objects.create_user(
            f"o-{place.code}", password="x", role=Role.COMMITTEE_OFFICER, organisation=place
        )
        assert card_actor_levels(officer, route) == expected


def test_a_card_on_its_way_is_not_sent_on_once_its_member_moved_away(
    tree: Any, officers: Officers, make_member: Any
) -> None:
    """A transfer changes the member's way down the tree: the Hà Nội committee holding the card of a
    member now in Huế may not send it on down Hà Nội's branch."""
    member = card_holder(make_member)
    card = new_card(member)
    for actor, step in [
        (officers.centre, CardTransition.START_PRODUCTION),
        (officers.centre, CardTransition.MARK_PRODUCED),
        (officers.centre, CardTransition.SEND),
        (officers.province, CardTransition.RECEIVE),
    ]:
        card = card_transition(actor=actor, card=card, transition=step)
    registry.member_update(actor=None, member=member, changes={"organisation": tree.hue_cell})
    with pytest.raises((CardError, OutOfScope)):
        card_transition(actor=officers.province, card=card, transition=CardTransition.SEND)
    card.refresh_from_db()
    assert (card.state, card.holder_id) == ("received", tree.hanoi.pk)
