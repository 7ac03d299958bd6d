"""Whatever happens, in whatever order, the counters equal a recount from scratch (``report verify`` finds
no difference): random sequences of case transitions (up, returned, resubmitted, rejected, held by a member
change), card steps one at a time and in bulk, transfers, re-evaluations, new members, deaths, an
organisation moved between provinces, and changes rolled back half-way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.cards.lifecycle import CardLevel, CardTransition
from partycard.cards.models import Card
from partycard.cards.services import card_transition, cards_move, cards_transition
from partycard.core.errors import DomainError
from partycard.exchange.models import Case
from partycard.exchange.services import case_propose, case_transition, evaluate_members
from partycard.exchange.workflow import Level, Transition
from partycard.registry import services as registry
from partycard.registry.models import Member
from tests.conftest import member_data
from tests.reports.conftest import verified

pytestmark = pytest.mark.django_db

ACTORS = (
    "cell",
    "grassroots",
    "upper",
    "province",
    "centre",
    "other_cell",
    "hue_upper",
    "hue_cell",
    "hue_province",
)
CASE_STEPS = (
    Transition.CONFIRM,
    Transition.DECIDE,
    Transition.FORWARD,
    Transition.ACCEPT,
    Transition.RETURN,
    Transition.RESUBMIT,
    Transition.REJECT,
)
MEMBER_CHANGES: tuple[dict[str, Any], ...] = (
    {"under_discipline": True},
    {"under_discipline": False},
    {"activities_suspended": True},
    {"activities_suspended": False},
    {"transfer_in_progress": True},
    {"transfer_in_progress": False},
    {"status": "deceased"},
    {"old_card_number": None},
)
member_index = st.integers(min_value=0, max_value=5)
cell_index = st.integers(min_value=0, max_value=2)
actor = st.sampled_from(ACTORS)

# A step names what happens, not who does it: every officer is tried in turn, so the one whose level it is
# makes it (or, if the rules refuse everyone, nothing changes).
op = st.one_of(
    st.tuples(st.just("propose"), member_index),
    st.tuples(st.just("case"), member_index, st.sampled_from(CASE_STEPS)),
    st.tuples(st.just("case"), member_index, st.sampled_from(CASE_STEPS)),
    st.tuples(st.just("card"), member_index, st.sampled_from(list(CardTransition))),
    st.tuples(st.just("walk"), member_index),
    st.tuples(
        st.just("produce"), st.sampled_from((CardTransition.START_PRODUCTION, CardTransition.MARK_PRODUCED))
    ),
    st.tuples(st.just("recover"), st.sampled_from((CardTransition.RECOVER, CardTransition.DESTROY)), actor),
    st.tuples(st.just("accept_all"), st.just(0)),
    st.tuples(st.just("member"), member_index, st.sampled_from(MEMBER_CHANGES)),
    st.tuples(st.just("transfer"), member_index, cell_index),
    st.tuples(st.just("evaluate"), member_index),
    st.tuples(st.just("new_member"), cell_index),
    st.tuples(st.just("move"), st.booleans()),
)
# Each step is rolled back after it one time in four.
sequence = st.lists(st.tuples(op, st.sampled_from((False, False, False, True))), min_size=1, max_size=30)


class RolledBack(Exception):
    pass


_OFFICERS: list[Any] = []  # the example's officers, for _by_anyone


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=sequence)
def test_after_any_sequence_of_changes_verify_finds_no_difference(
    tree: Any, officers: Any, campaign: Any, steps: list[tuple[tuple[Any, ...], bool]]
) -> None:
    with transaction.atomic():  # each example starts from the same tree: its changes are rolled back
        cells = [tree.cell_a, tree.cell_b, tree.hue_cell]
        members: list[Member] = []
        _OFFICERS[:] = [officers]
        officers.hue_province = User.objects.get_or_create(
            username="hue_tinh", defaults={"role": Role.COMMITTEE_OFFICER, "organisation": tree.hue}
        )[0]

        def new_member(cell: Any) -> None:
            n = Member.objects.count()
            members.append(
                registry.member_create(
                    actor=None,
                    data=member_data(cell, citizen_id=f"00108002{n:04d}", old_card_number=f"5{n:07d}"),
                )
            )

        # Production's report puts a made card at the Centre (production.services.reconciling).
        at_the_centre: dict[str, Any] = {
            "transition": CardTransition.MARK_PRODUCED,
            "level": CardLevel.CENTRE,
            "holder_id": tree.centre.pk,
        }
        for i in range(4):
            new_member(cells[i % 3])
        evaluate_members(campaign, [m.pk for m in members])
        for m in members:  # every member starts proposed by their cell
            _attempt(lambda m=m: _by_anyone(lambda who: case_propose(actor=who, campaign=campaign, member=m)))
        # and the first one's case accepted, its new card made: the card steps have a card to move.
        first = Case.objects.get(member=members[0])
        for t in (Transition.CONFIRM, Transition.DECIDE, Transition.FORWARD, Transition.ACCEPT):
            _by_anyone(lambda who, t=t: case_transition(actor=who, case=first, transition=t))
        made = list(Card.objects.filter(case=first).values_list("pk", flat=True))
        cards_move(actor=None, card_ids=made, transition=CardTransition.START_PRODUCTION)
        cards_move(actor=None, card_ids=made, **at_the_centre)

        def member(i: int) -> Member:
            """The ``i``-th member still there (one created by a step rolled back is not)."""
            live = list(Member.objects.filter(pk__in=[m.pk for m in members]).order_by("pk"))
            return live[i % len(live)]

        def card_of(i: int) -> Card | None:
            return Card.objects.filter(member=member(i)).order_by("-pk").first()

        def run(step: tuple[Any, ...]) -> None:
            kind = step[0]
            if kind == "propose":
                m = member(step[1])
                _by_anyone(lambda who: case_propose(actor=who, campaign=campaign, member=m))
            elif kind == "case":
                case = Case.objects.filter(member=member(step[1])).first()
                if case is not None:
                    reason = "Lý do" if step[2] in (Transition.RETURN, Transition.REJECT) else ""
                    back = Level.CELL if step[2] is Transition.RETURN else None
                    _by_anyone(
                        lambda who: case_transition(
                            actor=who, case=case, transition=step[2], reason=reason, return_to=back
                        )
                    )
            elif kind == "card":
                card = card_of(step[1])
                if card is not None:
                    try:
                        card_transition(
                            actor=None, card=card, transition=step[2], reason="Lý do", system=True
                        )
                    except DomainError:
                        _by_anyone(
                            lambda who: card_transition(
                                actor=who, card=card, transition=step[2], reason="Lý do"
                            )
                        )
            elif kind == "walk":
                card = card_of(step[1])
                for who, t in (
                    ("centre", CardTransition.SEND),
                    ("province", CardTransition.RECEIVE),
                    ("province", CardTransition.SEND),
                    ("upper", CardTransition.RECEIVE),
                    ("upper", CardTransition.SEND),
                    ("grassroots", CardTransition.RECEIVE),
                    ("grassroots", CardTransition.SEND),
                    ("cell", CardTransition.RECEIVE),
                    ("cell", CardTransition.HAND_OVER),
                ):
                    if card is not None:
                        _attempt(
                            lambda who=who, t=t: card_transition(
                                actor=getattr(officers, who), card=card, transition=t
                            )
                        )
            elif kind == "produce":
                source = "allocated" if step[1] is CardTransition.START_PRODUCTION else "in_production"
                ids = list(Card.objects.filter(state=source).values_list("pk", flat=True))
                if ids and step[1] is CardTransition.MARK_PRODUCED:
                    cards_move(actor=None, card_ids=ids, **at_the_centre)
                elif ids:
                    cards_move(actor=None, card_ids=ids, transition=step[1])
            elif kind == "recover":
                ids = list(Card.objects.values_list("pk", flat=True))
                cards_transition(actor=getattr(officers, step[2]), card_ids=ids, transition=step[1])
            elif kind == "member":
                registry.member_update(actor=None, member=member(step[1]), changes=step[2])
            elif kind == "transfer":
                registry.member_transfer(
                    actor=None, member=member(step[1]), to_cell=cells[step[2]], reason="Chuyển"
                )
            elif kind == "accept_all":  # every case up to the Centre and accepted, step by step
                for t in (Transition.CONFIRM, Transition.DECIDE, Transition.FORWARD, Transition.ACCEPT):
                    for case in Case.objects.filter(campaign=campaign):
                        _attempt(
                            lambda case=case, t=t: _by_anyone(
                                lambda who: case_transition(actor=who, case=case, transition=t)
                            )
                        )
            elif kind == "evaluate":
                evaluate_members(campaign, [member(step[1]).pk])
            elif kind == "new_member":
                new_member(cells[step[1]])
            elif kind == "move":
                school = type(tree.school).objects.get(pk=tree.school.pk)
                target = tree.thuan_hoa if step[1] else tree.ba_dinh
                registry.organisation_move(actor=None, organisation=school, new_parent=target)

        for step, roll_back in steps:
            _attempt(lambda: _once(run, step, roll_back))  # noqa: B023 - called at once
        assert verified() == []
        transaction.set_rollback(True)


def _once(run: Callable[[tuple[Any, ...]], None], step: tuple[Any, ...], roll_back: bool) -> None:
    """``run(step)`` in a savepoint; with ``roll_back``, the savepoint is rolled back after it."""
    try:
        with transaction.atomic():
            run(step)
            if roll_back:
                raise RolledBack
    except RolledBack:
        pass


def _by_anyone(step: Callable[[Any], Any]) -> None:
    """``step(officer)`` by the first officer the rules let make it (none: nothing changes)."""
    for who in ACTORS:
        try:
            with transaction.atomic():
                step(getattr(_OFFICERS[0], who))
                return
        except DomainError:
            continue


def _attempt(fn: Callable[[], Any]) -> None:
    """A step the rules refuse changes nothing: that is a case too."""
    try:
        with transaction.atomic():
            fn()
    except DomainError:
        pass
