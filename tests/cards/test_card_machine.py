"""The card's life over the real services and database, driven by Hypothesis.

Officers of every level (the right ones and wrong ones) and the system try random steps on one member's
new card and old card. After every step the database must hold what the directive and Regulation
06-QĐ/TW ask, checked here without ``lifecycle.check``:

* a refused step changes nothing (state, history, status list, audit log);
* the history is a chain: each event starts where the last one ended, and the card is where it ended;
* a card travels down its route one level at a time (Centre → Hà Nội → Ba Đình → the school → cell_a),
  sent and received only by the officer of the organisation holding it;
* only the cell hands a card over, and the hand-over replaces the member's old card;
* the status-list entry says VALID only for a card in the member's hands and in use;
* a destroyed card never changes again; the audit chain verifies.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from partycard.audit.services import audit_verify
from partycard.cards.lifecycle import CardKind, CardTransition
from partycard.cards.models import Card, CardEvent, StatusListRecord
from partycard.cards.services import CardError, card_status_reserve, card_transition
from partycard.core.scope import OutOfScope
from partycard.ecard.status import StatusList
from tests.cards.conftest import new_card
from tests.exchange.conftest import Officers, card_holder

pytestmark = pytest.mark.django_db

ACTORS = ["cell", "grassroots", "upper", "province", "centre", "other_cell", "hue_upper", "system"]
# The new card's way down, from the test tree (written out by hand): Centre, Hà Nội, Ba Đình, the
# school's grassroots committee, cell_a.
ROUTE = ["TW", "HN", "HN-BD", "HN-BD-01", "HN-BD-01-01"]
# The next step of a card in each state, and who takes it (Directive 51-CT/TW; Regulation 06-QĐ/TW),
# so that examples reach the hand-over and beyond, not only random refusals.
RECEIVER = {"HN": "province", "HN-BD": "upper", "HN-BD-01": "grassroots", "HN-BD-01-01": "cell"}
SENDER = {"TW": "centre", "HN": "province", "HN-BD": "upper", "HN-BD-01": "grassroots"}
IN_MEMBERS_HANDS = {"active", "damaged"}  # the states a member shows a card that is theirs and usable
REASONS = ["", "Quyết định số 12-QĐ/ĐU"]


def _status(card: Card) -> int | None:
    if card.status_list_id is None or card.status_index is None:
        return None
    record = StatusListRecord.objects.get(pk=card.status_list_id)
    return StatusList(
        uri="x", bits=record.bits, statuses=bytes(record.packed), issued_at=record.updated_at
    ).status(card.status_index)


class CardMachine(RuleBasedStateMachine):
    officers: Officers
    tree: Any
    member: Any

    @initialize()
    def start(self) -> None:
        self.card = new_card(self.member)
        card_status_reserve(actor=None, card=self.card, signer_label="ds-test")
        self.old = Card.objects.get(member=self.member, kind=CardKind.OLD)
        self.visited: list[str] = []  # the organisations the new card was received at, in order
        self.handed_over = False
        self.reached: set[str] = set()

    def _actor(self, who: str) -> Any:
        return None if who == "system" else getattr(self.officers, who)

    def _snapshot(self) -> tuple[Any, ...]:
        cards = list(
            Card.objects.filter(member=self.member).order_by("pk").values_list("state", "level", "holder_id")
        )
        return (
            cards,
            CardEvent.objects.count(),
            list(StatusListRecord.objects.values_list("version", flat=True)),
        )

    @rule(
        transition=st.sampled_from(list(CardTransition)),
        who=st.sampled_from(ACTORS),
        reason=st.sampled_from(REASONS),
        old=st.booleans(),
    )
    def step(self, transition: CardTransition, who: str, reason: str, old: bool) -> None:
        target = self.old if old else self.card
        before = self._snapshot()
        was = Card.objects.get(pk=target.pk)
        try:
            with transaction.atomic():
                after = card_transition(
                    actor=self._actor(who),
                    card=target.pk,
                    transition=transition,
                    reason=reason,
                    system=who == "system",
                )
        except (CardError, OutOfScope):
            assert self._snapshot() == before  # a refused step changes nothing
            return
        assert was.state != "destroyed"  # a destroyed card never changes again
        if transition is CardTransition.HAND_OVER:
            assert who == "cell" and not old  # Regulation 06-QĐ/TW: the cell hands the card over
            assert Card.objects.get(pk=self.old.pk).state not in IN_MEMBERS_HANDS  # the old card is replaced
            self.handed_over = True
        if transition in (CardTransition.SEND, CardTransition.RECEIVE):
            holder_code = was.holder.code if was.holder else "TW"
            assert who != "system" and who not in ("other_cell", "hue_upper")
            if transition is CardTransition.RECEIVE:
                assert who == RECEIVER[after.holder.code]  # type: ignore[union-attr]
                self.visited.append(after.holder.code)  # type: ignore[union-attr]
            else:
                assert holder_code == (self.visited[-1] if self.visited else "TW")
                assert who == SENDER[holder_code]
        self.reached.add(after.state)

    @rule()
    def advance(self) -> None:
        """The step the directive expects next for the new card, by the officer whose turn it is."""
        card = Card.objects.select_related("holder").get(pk=self.card.pk)
        holder = card.holder.code if card.holder else "TW"
        steps = {
            "allocated": (CardTransition.START_PRODUCTION, "centre"),
            "in_production": (CardTransition.MARK_PRODUCED, "centre"),
            "produced": (CardTransition.SEND, "centre"),
            "in_transit": (CardTransition.RECEIVE, RECEIVER.get(holder, "system")),
            "received": (
                (CardTransition.HAND_OVER, "cell")
                if holder == ROUTE[-1]
                else (CardTransition.SEND, SENDER[holder])
            ),
            "active": (CardTransition.REPORT_DAMAGED, "cell"),
            "damaged": (CardTransition.RECOVER, "cell"),
            "revoked": (CardTransition.RECOVER, "cell"),
            "superseded": (CardTransition.RECOVER, "cell"),
            "recovered": (CardTransition.DESTROY, "upper"),
        }
        if card.state in steps:
            transition, who = steps[card.state]
            self.step(transition=transition, who=who, reason=REASONS[1], old=False)

    @invariant()
    def history_is_a_chain_ending_where_the_card_is(self) -> None:
        for card in Card.objects.filter(member=self.member):
            events = list(card.events.order_by("at", "id"))
            assert events and events[0].from_state == ""
            for earlier, later in itertools.pairwise(events):
                assert later.from_state == earlier.to_state
            assert events[-1].to_state == card.state

    @invariant()
    def the_card_goes_down_its_route_in_order(self) -> None:
        assert self.visited == ROUTE[1 : 1 + len(self.visited)]

    @invariant()
    def only_a_card_in_the_members_hands_verifies(self) -> None:
        card = Card.objects.get(pk=self.card.pk)
        status = _status(card)
        if status == 0x00:
            assert card.state in IN_MEMBERS_HANDS and self.handed_over
        if card.state in {"lost", "revoked", "superseded", "recovered", "destroyed"}:
            assert status == 0x01

    @invariant()
    def at_most_one_card_in_use(self) -> None:
        assert (
            Card.objects.filter(member=self.member, state__in=["active", "suspended", "damaged"]).count() <= 2
        )
        assert (
            Card.objects.filter(
                member=self.member, kind="new", state__in=["active", "suspended", "damaged"]
            ).count()
            <= 1
        )

    def teardown(self) -> None:
        assert audit_verify().ok
        REACHED.update(self.reached)


REACHED: set[str] = set()


def test_the_card_machine(tree: Any, officers: Officers, make_member: Any) -> None:
    member = card_holder(make_member, full_name="Trần Văn Thẻ")
    CardMachine.officers, CardMachine.tree, CardMachine.member = officers, tree, member

    def factory() -> CardMachine:
        machine = CardMachine()
        return machine

    run_state_machine_as_test(
        _in_savepoint(factory),
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    # The examples walked the whole life: not only refusals.
    assert {"in_transit", "received", "active", "recovered", "destroyed"} <= REACHED


def _in_savepoint(factory: Any) -> Any:
    """Each example in a savepoint rolled back at its end: every example starts from the same member."""

    class Rolled(CardMachine):
        def __init__(self) -> None:
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            super().__init__()

        def teardown(self) -> None:
            try:
                super().teardown()
            finally:
                transaction.set_rollback(True)
                self._atomic.__exit__(None, None, None)

    return Rolled
