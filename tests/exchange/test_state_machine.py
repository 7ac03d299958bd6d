"""The case state machine over the real services and database, driven by Hypothesis.

A stateful test: officers of every level (the right ones and wrong ones) try random transitions on a few
members' cases while the members' standing changes (disciplinary review, death, the old card's number
removed and restored) through ``registry.services.member_update``. After every step the database must
agree with a model the test keeps itself: the acting levels are this file's own table (not
``actor_levels``), eligibility is this file's own rule (cross-checked with the services' verdict), and
``workflow.check`` says what may happen. The Centre's acceptance ends the case and creates the member's
new card (state ``allocated``); a member change after that revokes the card, never the case. A second
test drives one real case into every state.

Each Hypothesis example runs inside a savepoint of the test's transaction and rolls it back at teardown:
every example starts from the same members, with no case, in milliseconds.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify
from partycard.cards import card_number
from partycard.cards.lifecycle import CardKind, CardState
from partycard.cards.models import Card
from partycard.exchange.models import Campaign, Case, CaseEvent, Eligibility, IssuedCardNumber
from partycard.exchange.services import CaseError, case_propose, case_transition, verdict_of
from partycard.exchange.workflow import (
    FINAL_STATES,
    RESUBMITTED_TO,
    TRANSITIONS,
    Level,
    State,
    Transition,
    check,
    target_state,
)
from partycard.registry import services as registry
from partycard.registry.choices import MemberStatus
from partycard.registry.models import Member
from tests.exchange.conftest import card_holder

pytestmark = pytest.mark.django_db

T = Transition
HN, HUE = "hn", "hue"  # where a member's cell is: Hà Nội's cell_a, or Huế's grassroots cell

# The levels each officer acts at for a member of each place, written out by hand from the tree (a
# grassroots cell's secretary is its cell and its grassroots; a province's officer forwards its own
# committees' cases only; sibling cells, a central administrator placed at a province, an inspector and a
# member decide nothing). Missing: no level.
LEVELS: dict[str, dict[str, frozenset[Level]]] = {
    "cell": {HN: frozenset({Level.CELL})},
    "grassroots": {HN: frozenset({Level.GRASSROOTS})},
    "upper": {HN: frozenset({Level.UPPER})},
    "province": {HN: frozenset({Level.PROVINCE})},
    "centre": {HN: frozenset({Level.CENTRE}), HUE: frozenset({Level.CENTRE})},
    "hue_cell": {HUE: frozenset({Level.CELL, Level.GRASSROOTS})},
    "hue_upper": {HUE: frozenset({Level.UPPER})},
    "hue_province": {HUE: frozenset({Level.PROVINCE})},
    "other_cell": {},
    "hn_admin": {},
    "inspector": {},
    "member": {},
}
OFFICERS = sorted(LEVELS)
REASONS = ["", "Ảnh mờ, chụp lại"]
# Weighted towards changes that make a member eligible again (so that held cases resume): death is final.
CHANGES = [
    *["discipline_on", "discipline_off", "card_removed", "card_restored", "all_clear", "all_clear"] * 2,
    "deceased",
]
RETURN_TO: list[Level | None] = [None, *Level]


@dataclass
class Standing:
    """What the test knows of a member: eligible exactly when none of these stands in the way. Death ends
    membership; no card refuses (the directive: only members who hold a card); discipline postpones."""

    old_card: str
    discipline: bool = False
    has_card: bool = True
    deceased: bool = False

    @property
    def eligible(self) -> bool:
        return self.has_card and not self.discipline and not self.deceased

    @property
    def refused(self) -> bool:
        """Not eligible for a reason that does not merely postpone (and does not end membership)."""
        return not self.deceased and not self.has_card


@dataclass
class World:
    campaign: Campaign
    users: dict[str, User]
    members: list[Member]
    places: list[str]
    old_cards: list[str]


@dataclass
class Snapshot:
    state: str
    returned_to: str
    held_from: str
    note: str
    card_number: str | None
    updated_at: Any
    events: int

    @classmethod
    def of(cls, case_id: int) -> Snapshot:
        c = Case.objects.get(pk=case_id)
        return cls(
            c.state,
            c.returned_to,
            c.held_from,
            c.note,
            c.card_number,
            c.updated_at,
            CaseEvent.objects.filter(case=c).count(),
        )


@pytest.fixture
def world(tree: Any, officers: Any, campaign: Campaign, make_member: Any) -> World:
    members = [
        card_holder(
            make_member, full_name=f"Trần Văn {n}", citizen_id=f"00108000{i:04d}", old_card_number=card
        )
        for i, (n, card) in enumerate([("Một", "20000001"), ("Hai", "20000002"), ("Ba", "20000003")])
    ]
    members.append(
        card_holder(
            make_member,
            org=tree.hue_cell,
            full_name="Lê Thị Huế",
            citizen_id="001080009999",
            old_card_number="20000004",
        )
    )
    users = {name: getattr(officers, name) for name in LEVELS if hasattr(officers, name)}
    users["hue_province"] = User.objects.create_user(
        "tinh_hue", password="x", role=Role.COMMITTEE_OFFICER, organisation=tree.hue
    )
    users["hn_admin"] = User.objects.create_user(
        "qt_hn", password="x", role=Role.CENTRAL_ADMIN, organisation=tree.hanoi
    )
    users["inspector"] = User.objects.create_user(
        "kt_tw", password="x", role=Role.INSPECTOR, organisation=tree.centre
    )
    users["member"] = User.objects.create_user("dv", password="x", role=Role.MEMBER, member=members[0])
    assert set(users) == set(LEVELS)
    return World(
        campaign=campaign,
        users=users,
        members=members,
        places=[HN, HN, HN, HUE],
        old_cards=[m.old_card_number or "" for m in members],
    )


class CaseMachine(RuleBasedStateMachine):
    """Random officers, random transitions, random changes of standing; the model says what must follow."""

    world: World  # set on a subclass per test (the factory Hypothesis calls takes no arguments)

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.standing = [Standing(old_card=card) for card in self.world.old_cards]
        self.accepted: dict[int, bool] = {}  # case id → was the member eligible when the Centre accepted

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)

    # -- helpers ----------------------------------------------------------------------------------------

    def _case(self, who: int) -> Case | None:
        return Case.objects.filter(campaign=self.world.campaign, member=self.world.members[who]).first()

    def _expected_problems(
        self, officer: str, who: int, transition: Transition, case: Case | None, reason: str, return_to: Any
    ) -> list[Any]:
        levels = LEVELS[officer].get(self.world.places[who], frozenset())
        eligible = self.standing[who].eligible
        if transition is T.PROPOSE:
            return check(
                T.PROPOSE, state=State(case.state) if case else None, actor_levels=levels, eligible=eligible
            )
        assert case is not None
        return check(
            transition,
            state=State(case.state),
            actor_levels=levels,
            eligible=eligible,
            reason=reason,
            returned_to=Level(case.returned_to) if case.returned_to else None,
            return_to=return_to,
            has_card_number=bool(case.card_number),
        )

    def _allowed_moves(self, who: int) -> list[tuple[str, Transition, Level | None, str]]:
        """Every (officer, transition, return_to, reason) the model allows on this member's case now."""
        case = self._case(who)
        moves = []
        for officer in OFFICERS:
            for transition in Transition:
                if (transition is T.PROPOSE) != (case is None):
                    continue
                for return_to in RETURN_TO if transition is T.RETURN else [None]:
                    reason = REASONS[1] if TRANSITIONS[transition].needs_reason else ""
                    if not self._expected_problems(officer, who, transition, case, reason, return_to):
                        moves.append((officer, transition, return_to, reason))
        return moves

    def _attempt(
        self, officer: str, who: int, transition: Transition, return_to: Level | None, reason: str
    ) -> bool:
        """Make the attempt through the services; check it happened exactly when the model allows it, and
        did exactly what the table says (or, refused, changed nothing)."""
        world, actor, member = self.world, self.world.users[officer], self.world.members[who]
        case = self._case(who)
        if case is None and transition is not T.PROPOSE:
            return False  # nothing to act on
        expected = self._expected_problems(officer, who, transition, case, reason, return_to)
        before = Snapshot.of(case.pk) if case else None
        audit_before = AuditEvent.objects.count()
        try:
            if transition is T.PROPOSE:
                case_propose(actor=actor, campaign=world.campaign, member=member)
            else:
                assert case is not None
                case_transition(
                    actor=actor, case=case, transition=transition, reason=reason, return_to=return_to
                )
            done = True
        except CaseError:
            done = False
        why = f"{officer} {transition.value} ({before.state if before else 'no case'}): {expected}"
        assert done == (not expected), why
        after_case = self._case(who)
        if not done:
            # A refused attempt changes nothing: no case appears, the case's row and history stay.
            assert (Snapshot.of(after_case.pk) if after_case else None) == before, why
            assert AuditEvent.objects.count() == audit_before, why
            return False
        assert after_case is not None
        after = Snapshot.of(after_case.pk)
        event = CaseEvent.objects.filter(case=after_case).order_by("-at", "-id").first()
        assert event is not None
        assert (event.transition, event.to_state, event.actor_id) == (transition.value, after.state, actor.pk)
        assert after.events == (before.events if before else 0) + 1
        # One audit row for the case; the acceptance adds one for the card it creates.
        assert AuditEvent.objects.count() == audit_before + 1 + (transition is T.ACCEPT)
        assert AuditEvent.objects.filter(
            action=f"exchange.{transition.value}", object_type="exchange.case", object_id=str(after_case.pk)
        ).exists()
        if before is None:
            assert (after.state, after.card_number) == (State.PROPOSED, None)
            return True
        assert event.from_state == before.state
        held_from = State(before.held_from) if before.held_from else None
        returned_to = Level(before.returned_to) if before.returned_to else None
        assert after.state == target_state(transition, returned_to=returned_to, held_from=held_from)
        if transition is T.RESUBMIT:
            assert returned_to is not None
            assert (after.state, after.returned_to) == (RESUBMITTED_TO[returned_to], "")
        if transition is T.RETURN:
            assert return_to is not None
            assert (after.returned_to, after.note) == (return_to.value, reason)
        if transition is T.ACCEPT:
            # The only way a card number appears, and only for a member eligible at that moment.
            assert before.card_number is None and after.card_number
            fresh = Member.objects.get(pk=member.pk)
            assert self.standing[who].eligible and verdict_of(fresh, world.campaign).eligible
            self.accepted[after_case.pk] = self.standing[who].eligible
            # The case ends here and the member's new card begins, numbered as the case.
            card = Card.objects.get(case=after_case)
            assert (card.number, card.kind, card.state, card.member_id) == (
                after.card_number,
                CardKind.NEW,
                CardState.ALLOCATED,
                member.pk,
            )
            assert AuditEvent.objects.filter(
                action="cards.allocate", object_type="cards.card", object_id=str(card.pk)
            ).exists()
        else:
            assert after.card_number == before.card_number
            assert not Card.objects.filter(case=after_case).exists()
        return True

    # -- rules ----------------------------------------------------------------------------------------------

    @initialize(proposed=st.integers(0, 4))
    def the_cells_propose_some_members(self, proposed: int) -> None:
        """Most runs start with a few cases open, so that member changes and officers meet them early."""
        for who in range(proposed):
            officer = "cell" if self.world.places[who] == HN else "hue_cell"
            assert self._attempt(officer, who, T.PROPOSE, None, "")

    @rule(
        officer=st.sampled_from(OFFICERS),
        who=st.integers(0, 3),
        transition=st.sampled_from(list(Transition)),
        return_to=st.sampled_from(RETURN_TO),
        reason=st.sampled_from(REASONS),
    )
    def anyone_tries_anything(
        self, officer: str, who: int, transition: Transition, return_to: Level | None, reason: str
    ) -> None:
        """A random officer, right or wrong, tries a random transition (mostly refused)."""
        self._attempt(officer, who, transition, return_to, reason)

    def _try_something_forbidden(self, who: int, data: st.DataObject) -> None:
        """A transition the case's state allows, tried when the model forbids it: by a random officer (a
        committee above the right one, a sibling, another province), or by the right one without a
        reason, to a wrong level, for a member no longer eligible. It must be refused and change nothing."""
        case = self._case(who)
        state = State(case.state) if case else None
        possible = [t for t, spec in TRANSITIONS.items() if state in spec.sources]
        if not possible:  # a final state
            return
        transition = data.draw(st.sampled_from(possible))
        place = self.world.places[who]
        right = [o for o in OFFICERS if LEVELS[o].get(place, frozenset()) & TRANSITIONS[transition].levels]
        officer = data.draw(st.sampled_from(right if right and data.draw(st.booleans()) else OFFICERS))
        return_to = data.draw(st.sampled_from(RETURN_TO)) if transition is T.RETURN else None
        reason = data.draw(st.sampled_from(REASONS))
        if self._expected_problems(officer, who, transition, case, reason, return_to):
            assert not self._attempt(officer, who, transition, return_to, reason)

    @rule(who=st.integers(0, 3), steps=st.integers(1, 6), data=st.data())
    def someone_moves_the_case_on(self, who: int, steps: int, data: st.DataObject) -> None:
        """A few moves the model allows, mostly forward, sometimes back, rejected or cancelled (without it,
        random attempts would hardly ever get a case past the cell), each after a forbidden attempt."""
        for _ in range(steps):
            self._try_something_forbidden(who, data)
            moves = self._allowed_moves(who)
            forward = [
                m
                for m in moves
                if TRANSITIONS[m[1]].target not in (State.RETURNED, State.REJECTED, State.CANCELLED)
            ]
            pool = forward if forward and data.draw(st.integers(0, 3)) else moves
            if not pool:
                return
            officer, transition, return_to, reason = data.draw(st.sampled_from(pool))
            assert self._attempt(officer, who, transition, return_to, reason)

    def _change(self, who: int, change: str) -> dict[str, Any]:
        """The member fields ``change`` sets; the model's standing follows."""
        standing = self.standing[who]
        if change == "discipline_on":
            standing.discipline = True
            return {"under_discipline": True}
        if change == "discipline_off":
            standing.discipline = False
            return {"under_discipline": False}
        if change == "card_removed":
            standing.has_card = False
            return {"old_card_number": None}
        if change == "card_restored":
            standing.has_card = True
            return {"old_card_number": standing.old_card}
        if change == "all_clear":  # the review closed and the card found: eligible unless dead
            standing.discipline, standing.has_card = False, True
            return {"under_discipline": False, "old_card_number": standing.old_card}
        standing.deceased = True
        return {"status": MemberStatus.DECEASED}

    @rule(who=st.integers(0, 3), change=st.sampled_from(CHANGES))
    def the_record_changes_behind_the_hook(self, who: int, change: str) -> None:
        """A change that bypasses the services (a bulk SQL load, a restore): no re-evaluation, so the case
        keeps its state while the member may be ineligible. The transitions that need an eligible member
        must then refuse on their own — the last line of defence of "no card for an ineligible member"."""
        before = self._case(who)
        snapshot = Snapshot.of(before.pk) if before else None
        Member.objects.filter(pk=self.world.members[who].pk).update(**self._change(who, change))
        assert (Snapshot.of(before.pk) if before else None) == snapshot
        if self.standing[who].eligible:
            return
        # The next step's officers try it at once (propose, confirm, decide, forward, accept, resubmit):
        # refused.
        state = State(before.state) if before else None
        place = self.world.places[who]
        for transition, spec in TRANSITIONS.items():
            if spec.needs_eligible and state in spec.sources:
                for officer in OFFICERS:
                    if LEVELS[officer].get(place, frozenset()) & spec.levels:
                        assert not self._attempt(officer, who, transition, None, "")

    @rule(who=st.integers(0, 3), change=st.sampled_from(CHANGES))
    def the_member_s_record_changes(self, who: int, change: str) -> None:
        """A member change through the registry: the hook holds, resumes, rejects or cancels the open
        case."""
        world, standing = self.world, self.standing[who]
        before = self._case(who)
        events_before = CaseEvent.objects.filter(case=before).count() if before else 0
        card_before = Card.objects.filter(case=before).first() if before else None
        values = self._change(who, change)
        member = registry.member_update(actor=None, member=world.members[who], changes=values)
        assert verdict_of(member, world.campaign).eligible == standing.eligible
        assert Eligibility.objects.get(campaign=world.campaign, member=member).eligible == standing.eligible
        if before is None:
            assert self._case(who) is None
            return
        after = Case.objects.get(pk=before.pk)
        state = State(before.state)
        # On the way up (the case ends at the Centre's acceptance), or held or returned: a refusal rejects.
        rejectable = {State.PROPOSED, State.CONFIRMED, State.DECIDED, State.FORWARDED, State.RETURNED}
        expected, held_from = state, before.held_from
        if state in FINAL_STATES:
            pass
        elif state is State.ON_HOLD:
            if standing.eligible:
                expected, held_from = State(before.held_from), ""
            elif standing.deceased:
                expected = State.CANCELLED
            elif standing.refused and State(before.held_from) in rejectable:
                expected = State.REJECTED
        elif not standing.eligible and state in TRANSITIONS[T.HOLD].sources:
            if standing.deceased:
                expected = State.CANCELLED
            elif standing.refused and state in rejectable:
                expected = State.REJECTED
            else:  # postponed only: the case waits
                expected, held_from = State.ON_HOLD, state.value
        assert (after.state, after.held_from) == (expected, held_from), (change, state)
        assert after.card_number == before.card_number
        if card_before is not None:
            # An accepted case stays accepted; a member change of a dead member (the registry's hook
            # sees the status, whenever it was set) revokes the card instead.
            assert state is State.ACCEPTED
            card_after = Card.objects.get(pk=card_before.pk)
            expected_card = CardState.REVOKED if standing.deceased else CardState(card_before.state)
            assert card_after.state == expected_card, (change, card_before.state)
        events = CaseEvent.objects.filter(case=after)
        assert events.count() == events_before + (expected != state)
        if expected != state:
            last = events.order_by("-at", "-id").first()
            assert last is not None and last.actor_id is None  # the system acted (audited as "system")
            assert (last.from_state, last.to_state) == (state, expected)

    # -- invariants -----------------------------------------------------------------------------------------

    @invariant()
    def one_case_per_member(self) -> None:
        twice = Case.objects.values("campaign", "member").annotate(n=Count("id")).filter(n__gt=1)
        assert not twice.exists()

    @invariant()
    def card_numbers_come_from_accept_only_unique_and_valid(self) -> None:
        numbered = dict(Case.objects.exclude(card_number=None).values_list("pk", "card_number"))
        assert len(set(numbered.values())) == len(numbered)
        assert all(card_number.problem(n) is None for n in numbered.values())
        assert all(self.accepted.get(pk) is True for pk in numbered)  # eligible when accepted
        accepts = dict(
            CaseEvent.objects.filter(transition=T.ACCEPT)
            .values("case")
            .annotate(n=Count("id"))
            .values_list("case", "n")
        )
        assert accepts == dict.fromkeys(numbered, 1)
        issued = set(IssuedCardNumber.objects.values_list("number", flat=True))
        assert set(numbered.values()) <= issued
        # One new card per accepted case, with its number, and no other new card.
        cards = Card.objects.filter(kind=CardKind.NEW).values_list("case", "number", "member", "state")
        assert {case: number for case, number, _, _ in cards} == numbered
        members = dict(Case.objects.filter(pk__in=numbered).values_list("pk", "member"))
        assert all(members[case] == member for case, _, member, _ in cards)
        assert {state for *_, state in cards} <= {CardState.ALLOCATED, CardState.REVOKED}
        assert set(Case.objects.filter(pk__in=numbered).values_list("state", flat=True)) <= {State.ACCEPTED}

    @invariant()
    def each_history_leads_to_the_case_s_state(self) -> None:
        states = dict(Case.objects.values_list("pk", "state"))
        last: dict[int, str] = {}
        for case_id, from_state, to_state in CaseEvent.objects.order_by("case", "at", "id").values_list(
            "case", "from_state", "to_state"
        ):
            assert from_state == last.get(case_id, ""), case_id
            last[case_id] = to_state
        assert last == states


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_random_officers_and_member_changes_never_break_the_workflow(world: World) -> None:
    """35 runs of up to 30 steps over the real services (10-20 s on SQLite or PostgreSQL)."""
    machine = type("Machine", (CaseMachine,), {"world": world})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=35,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
    assert not Case.objects.exists()  # every example rolled back to its savepoint
    assert audit_verify().ok


# -- every state, reached for real -------------------------------------------------------------------------

Node = tuple[State | None, Level | None, State | None]  # (state, returned_to, held_from)
Edge = tuple[Transition, Level, Level | None]  # (transition, acting level, return_to)


def _successors(node: Node) -> list[tuple[Edge, Node]]:
    """Every move ``workflow.check`` allows from ``node`` to one acting level, with where it leads."""
    state, returned_to, held_from = node
    out = []
    for transition in Transition:
        for level in (Level.CELL, Level.GRASSROOTS, Level.UPPER, Level.PROVINCE, Level.CENTRE, Level.SYSTEM):
            for return_to in RETURN_TO if transition is T.RETURN else [None]:
                problems = check(
                    transition,
                    state=state,
                    actor_levels=frozenset({level}),
                    eligible=True,
                    reason="r",
                    returned_to=returned_to,
                    return_to=return_to,
                )
                if problems:
                    continue
                target = target_state(transition, returned_to=returned_to, held_from=held_from)
                nxt_returned = (
                    return_to if transition is T.RETURN else None if transition is T.RESUBMIT else returned_to
                )
                nxt_held = state if transition is T.HOLD else None if transition is T.RESUME else held_from
                out.append(((transition, level, return_to), (target, nxt_returned, nxt_held)))
    return out


def _shortest_paths() -> dict[State, list[Edge]]:
    """For each state, the shortest list of moves that leads a new case there (breadth first)."""
    start: Node = (None, None, None)
    paths: dict[Node, list[Edge]] = {start: []}
    queue: deque[Node] = deque([start])
    while queue:
        node = queue.popleft()
        for edge, nxt in _successors(node):
            if nxt not in paths:
                paths[nxt] = [*paths[node], edge]
                queue.append(nxt)
    found: dict[State, list[Edge]] = {}
    for (state, _, _), path in paths.items():
        if state is not None and (state not in found or len(path) < len(found[state])):
            found[state] = path
    return found


def test_check_alone_reaches_every_state() -> None:
    assert set(_shortest_paths()) == set(State)


@dataclass
class _Driver:
    officers: Any
    campaign: Campaign
    member: Member
    log: list[str] = field(default_factory=list)

    def do(self, edge: Edge) -> State:
        transition, level, return_to = edge
        self.log.append(f"{transition.value}@{level.value}")
        if level is Level.SYSTEM:
            # The system moves a case when the member's record changes: a review opens (hold) and
            # closes (resume); death cancels.
            change = {
                T.HOLD: {"under_discipline": True},
                T.RESUME: {"under_discipline": False},
                T.CANCEL: {"status": MemberStatus.DECEASED},
                T.REJECT: {"old_card_number": None},
            }[transition]
            registry.member_update(actor=None, member=self.member, changes=change)
            return State(Case.objects.get(campaign=self.campaign, member=self.member).state)
        actor = {
            Level.CELL: self.officers.cell,
            Level.GRASSROOTS: self.officers.grassroots,
            Level.UPPER: self.officers.upper,
            Level.PROVINCE: self.officers.province,
            Level.CENTRE: self.officers.centre,
        }[level]
        if transition is T.PROPOSE:
            return State(case_propose(actor=actor, campaign=self.campaign, member=self.member).state)
        case = Case.objects.get(campaign=self.campaign, member=self.member)
        reason = "Lý do" if TRANSITIONS[transition].needs_reason else ""
        return State(
            case_transition(
                actor=actor, case=case, transition=transition, reason=reason, return_to=return_to
            ).state
        )


def test_every_state_is_reached_through_the_services(
    officers: Any, campaign: Campaign, make_member: Any
) -> None:
    """One member per state, driven there by the officers of each level and by changes to their record."""
    for i, (state, path) in enumerate(sorted(_shortest_paths().items())):
        member = card_holder(make_member, citizen_id=f"00108001{i:04d}", old_card_number=f"3000{i:04d}")
        driver = _Driver(officers, campaign, member)
        reached = [driver.do(edge) for edge in path]
        assert reached[-1] == state, driver.log
        case = Case.objects.get(campaign=campaign, member=member)
        assert CaseEvent.objects.filter(case=case).count() == len(path)
        numbered = any(edge[0] is T.ACCEPT for edge in path)
        assert bool(case.card_number) == numbered, driver.log
        card = Card.objects.filter(case=case).first()
        assert (card is not None) == numbered, driver.log
        if card is not None:
            assert (card.number, card.state) == (case.card_number, CardState.ALLOCATED), driver.log
    assert audit_verify().ok
