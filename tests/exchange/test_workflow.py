"""The state machine as a table (``exchange.workflow``, pure): its shape, and what ``check`` answers.

The services and the stateful test (test_state_machine.py) rely on these properties; here they are
checked on the table alone, with no database.
"""

from __future__ import annotations

from collections import deque

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from partycard.accounts.roles import Role
from partycard.exchange import workflow
from partycard.exchange.wording import problems_worded, transition_label
from partycard.exchange.workflow import (
    FINAL_STATES,
    OPEN_STATES,
    RANK,
    RESUBMITTED_TO,
    ROLE_AT,
    TRANSITIONS,
    Level,
    State,
    Transition,
    check,
    queue_states,
    target_state,
)

T = Transition
OFFICER_LEVELS = (Level.CELL, Level.GRASSROOTS, Level.UPPER, Level.PROVINCE, Level.CENTRE)


def _codes(transition: Transition, **kwargs: object) -> set[str]:
    kwargs.setdefault("eligible", True)
    return {p.code for p in check(transition, **kwargs)}  # type: ignore[arg-type]


def successors(state: State | None) -> set[State]:
    """Every state one transition leads to from ``state``, by the table alone (resubmit: any level a case
    can be returned to; resume: any state a case can be held from)."""
    out: set[State] = set()
    for transition, spec in TRANSITIONS.items():
        if state not in spec.sources:
            continue
        if spec.target is not None:
            out.add(spec.target)
        elif transition is T.RESUBMIT:
            out |= set(RESUBMITTED_TO.values())
        else:  # RESUME
            out |= {s for s in TRANSITIONS[T.HOLD].sources if s is not None}
    return out


# -- the roles --------------------------------------------------------------------------------------------


def test_the_role_at_each_level_is_a_role_of_the_role_table() -> None:
    assert set(ROLE_AT) == set(OFFICER_LEVELS) == set(RANK)
    assert set(ROLE_AT.values()) <= {r.value for r in Role}
    assert {
        Level.CELL: Role.CELL_SECRETARY.value,
        Level.GRASSROOTS: Role.GRASSROOTS_OFFICER.value,
        Level.UPPER: Role.COMMITTEE_OFFICER.value,
        Level.PROVINCE: Role.COMMITTEE_OFFICER.value,
        Level.CENTRE: Role.CENTRAL_ADMIN.value,
    } == ROLE_AT
    assert sorted(RANK, key=RANK.__getitem__) == list(OFFICER_LEVELS)  # bottom to top


def test_every_public_name_exists() -> None:
    assert all(hasattr(workflow, name) for name in workflow.__all__)


# -- the table's shape -------------------------------------------------------------------------------------


def test_every_transition_is_in_the_table_once_with_labels_in_both_languages() -> None:
    """The label is an English msgid; the catalogue has its Vietnamese (``exchange.wording``)."""
    assert set(TRANSITIONS) == set(Transition)
    for transition, spec in TRANSITIONS.items():
        assert spec.label, transition
        with translation.override("en"):
            assert transition_label(transition) == spec.label, transition
        with translation.override("vi"):
            assert transition_label(transition) not in ("", spec.label), transition
        assert spec.levels, transition
        assert spec.sources, transition


def test_only_resubmit_and_resume_work_their_target_out() -> None:
    assert {t for t, spec in TRANSITIONS.items() if spec.target is None} == {T.RESUBMIT, T.RESUME}


def test_final_states_have_no_way_out_and_open_states_have_one() -> None:
    assert {State.ACCEPTED, State.REJECTED, State.CANCELLED} == FINAL_STATES
    assert set(State) == OPEN_STATES | FINAL_STATES and not OPEN_STATES & FINAL_STATES
    for state in State:
        assert bool(successors(state)) == (state in OPEN_STATES), state


def test_only_propose_starts_a_case() -> None:
    assert [t for t, spec in TRANSITIONS.items() if None in spec.sources] == [T.PROPOSE]


def test_the_system_holds_and_resumes_and_no_officer_does() -> None:
    assert TRANSITIONS[T.HOLD].levels == {Level.SYSTEM}
    assert TRANSITIONS[T.RESUME].levels == {Level.SYSTEM}
    assert TRANSITIONS[T.CANCEL].levels == {Level.SYSTEM, Level.UPPER}
    officer_only = {t for t, spec in TRANSITIONS.items() if Level.SYSTEM not in spec.levels}
    assert officer_only == set(Transition) - {T.HOLD, T.RESUME, T.CANCEL, T.REJECT}


def test_the_system_rejects_for_a_refusing_reason_and_only_it_rejects_a_held_or_returned_case() -> None:
    """A member whose record becomes refusing (not only postponing) has their case rejected by the system,
    also while it is held or returned; an officer rejects only the case whose turn it is."""
    for state in (State.PROPOSED, State.CONFIRMED, State.DECIDED, State.RETURNED, State.ON_HOLD):
        assert not check(
            T.REJECT, state=state, actor_levels=frozenset({Level.SYSTEM}), eligible=False, reason="r"
        )
        for level in (Level.CELL, Level.GRASSROOTS, Level.UPPER, Level.CENTRE):
            if state in (State.RETURNED, State.ON_HOLD):
                assert "wrong_level" in _codes(
                    T.REJECT, state=state, actor_levels=frozenset({level}), reason="r"
                )


def test_only_cases_on_their_way_up_are_held_or_cancelled() -> None:
    """An accepted case is over: from then on the card is revoked, never the case cancelled
    (cards/lifecycle.py)."""
    on_the_way = {State.PROPOSED, State.CONFIRMED, State.DECIDED, State.FORWARDED, State.RETURNED}
    assert TRANSITIONS[T.HOLD].sources == on_the_way
    assert TRANSITIONS[T.CANCEL].sources == on_the_way | {State.ON_HOLD}
    assert not FINAL_STATES & TRANSITIONS[T.HOLD].sources
    assert not FINAL_STATES & TRANSITIONS[T.CANCEL].sources
    assert State.ON_HOLD not in TRANSITIONS[T.HOLD].sources  # held once, from the state it was in


def test_every_state_is_reachable_from_no_case() -> None:
    """A breadth-first walk of the table from "no case" reaches every state (test_state_machine.py
    drives a real case into each)."""
    seen: set[State] = set()
    queue: deque[State | None] = deque([None])
    while queue:
        for nxt in successors(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    assert seen == set(State)


def test_every_open_state_can_still_end() -> None:
    """No open state is a dead end: a final state is reachable from each."""
    for start in OPEN_STATES:
        seen, queue = {start}, deque([start])
        while queue:
            for nxt in successors(queue.popleft()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        assert seen & FINAL_STATES, start


def test_resubmitting_goes_back_to_the_state_the_level_produces() -> None:
    assert RESUBMITTED_TO == {
        Level.CELL: State.PROPOSED,
        Level.GRASSROOTS: State.CONFIRMED,
        Level.UPPER: State.DECIDED,
        Level.PROVINCE: State.FORWARDED,
    }
    for level, state in RESUBMITTED_TO.items():
        producer = next(t for t, spec in TRANSITIONS.items() if spec.target is state)
        assert TRANSITIONS[producer].levels == {level}


def test_the_queues_split_the_waiting_states_between_the_levels() -> None:
    queues = {level: queue_states(level) for level in Level}
    assert queues[Level.CELL] == set()  # the cell's cases come back to it only when returned to it
    assert queues[Level.GRASSROOTS] == {State.PROPOSED}
    assert queues[Level.UPPER] == {State.CONFIRMED}
    assert queues[Level.PROVINCE] == {State.DECIDED}
    assert queues[Level.CENTRE] == {State.FORWARDED}
    assert queues[Level.SYSTEM] == set()
    # Every state on the way up waits in exactly one queue (returned: by its returned_to).
    waiting = [s for states in queues.values() for s in states]
    assert sorted(waiting) == sorted(OPEN_STATES - {State.RETURNED, State.ON_HOLD})
    # A case waiting in a queue is moved on by that level.
    for level, states in queues.items():
        for state in states:
            assert any(
                state in spec.sources and level in spec.levels and t not in (T.RETURN, T.REJECT)
                for t, spec in TRANSITIONS.items()
            ), (level, state)


# -- target_state ------------------------------------------------------------------------------------------


def test_target_state_of_a_fixed_transition_is_the_table_s() -> None:
    for transition, spec in TRANSITIONS.items():
        if spec.target is not None:
            assert target_state(transition) is spec.target


@pytest.mark.parametrize("level", list(RESUBMITTED_TO))
def test_a_resubmitted_case_goes_where_the_level_it_was_returned_to_puts_it(level: Level) -> None:
    assert target_state(T.RESUBMIT, returned_to=level) is RESUBMITTED_TO[level]


@pytest.mark.parametrize("state", sorted(s for s in TRANSITIONS[T.HOLD].sources if s is not None))
def test_a_resumed_case_goes_back_to_the_state_it_was_held_from(state: State) -> None:
    assert target_state(T.RESUME, held_from=state) is state


def test_target_state_refuses_without_what_it_needs() -> None:
    with pytest.raises(ValueError):
        target_state(T.RESUBMIT)
    with pytest.raises(ValueError):
        target_state(T.RESUBMIT, returned_to=Level.CENTRE)  # nobody resubmits to the Centre
    with pytest.raises(ValueError):
        target_state(T.RESUME)


# -- check -------------------------------------------------------------------------------------------------


def test_the_happy_path_is_allowed_to_the_right_level_only() -> None:
    path = [
        (T.PROPOSE, None, Level.CELL),
        (T.CONFIRM, State.PROPOSED, Level.GRASSROOTS),
        (T.DECIDE, State.CONFIRMED, Level.UPPER),
        (T.FORWARD, State.DECIDED, Level.PROVINCE),
        (T.ACCEPT, State.FORWARDED, Level.CENTRE),
    ]
    for transition, state, level in path:
        assert check(transition, state=state, actor_levels=frozenset({level}), eligible=True) == []
        for other in set(Level) - {level}:
            codes = _codes(transition, state=state, actor_levels=frozenset({other}))
            assert codes == {"wrong_level"}, (transition, other)
    # No step is skipped: the Centre accepts only what a province forwarded.
    assert _codes(T.ACCEPT, state=State.DECIDED, actor_levels=frozenset({Level.CENTRE})) == {"wrong_state"}
    assert _codes(T.FORWARD, state=State.CONFIRMED, actor_levels=frozenset({Level.PROVINCE})) == {
        "wrong_state"
    }
    # The case ends at acceptance: nothing moves an accepted case any more.
    for transition in Transition:
        assert "wrong_state" in _codes(
            transition, state=State.ACCEPTED, actor_levels=frozenset(Level), reason="r"
        ), transition


def test_a_wrong_state_is_named() -> None:
    assert _codes(T.CONFIRM, state=State.CONFIRMED, actor_levels=frozenset({Level.GRASSROOTS})) == {
        "wrong_state"
    }
    assert _codes(T.PROPOSE, state=State.PROPOSED, actor_levels=frozenset({Level.CELL})) == {"wrong_state"}
    problems = check(T.CONFIRM, state=None, actor_levels=frozenset({Level.GRASSROOTS}), eligible=True)
    # The pure check names the state in the message's parameters; the app words it (exchange.wording).
    assert dict(problems[0].params) == {"action": TRANSITIONS[T.CONFIRM].label, "state": "none"}
    assert "none" in str(problems[0]) and problems[0].message_vi == ""
    with translation.override("en"):
        (worded,) = problems_worded(problems)
    assert str(worded) == worded.message_en == str(problems[0])
    assert "none" in worded.message_vi and worded.message_vi != worded.message_en


def test_the_steps_that_need_an_eligible_member_say_so() -> None:
    needs = {t for t, spec in TRANSITIONS.items() if spec.needs_eligible}
    assert needs == {T.PROPOSE, T.CONFIRM, T.DECIDE, T.FORWARD, T.ACCEPT, T.RESUBMIT, T.RESUME}
    codes = _codes(T.ACCEPT, state=State.FORWARDED, actor_levels=frozenset({Level.CENTRE}), eligible=False)
    assert codes == {"not_eligible"}
    codes = _codes(T.FORWARD, state=State.DECIDED, actor_levels=frozenset({Level.PROVINCE}), eligible=False)
    assert codes == {"not_eligible"}
    # Rejecting does not ask (a case whose member stopped being eligible can still be turned down).
    assert not check(
        T.REJECT, state=State.FORWARDED, actor_levels=frozenset({Level.CENTRE}), eligible=False, reason="r"
    )


def test_a_case_is_numbered_once() -> None:
    codes = _codes(
        T.ACCEPT, state=State.FORWARDED, actor_levels=frozenset({Level.CENTRE}), has_card_number=True
    )
    assert codes == {"has_number"}


@pytest.mark.parametrize("transition", [T.RETURN, T.REJECT, T.HOLD, T.CANCEL])
def test_sending_back_rejecting_holding_and_cancelling_need_a_reason(transition: Transition) -> None:
    level = Level.SYSTEM if transition in (T.HOLD, T.CANCEL) else Level.GRASSROOTS
    kwargs = {"return_to": Level.CELL} if transition is T.RETURN else {}
    ok = check(
        transition,
        state=State.PROPOSED,
        actor_levels=frozenset({level}),
        eligible=True,
        reason="Ảnh mờ",
        **kwargs,  # type: ignore[arg-type]
    )
    assert ok == []
    blank = _codes(transition, state=State.PROPOSED, actor_levels=frozenset({level}), reason="  ", **kwargs)
    assert blank == {"reason_required"}


@pytest.mark.parametrize(
    ("state", "level"),
    [
        (State.PROPOSED, Level.GRASSROOTS),
        (State.CONFIRMED, Level.UPPER),
        (State.DECIDED, Level.PROVINCE),
        (State.FORWARDED, Level.CENTRE),
    ],
)
def test_only_the_level_whose_turn_it_is_returns_or_rejects(state: State, level: Level) -> None:
    for transition in (T.RETURN, T.REJECT):
        for other in set(TRANSITIONS[transition].levels) - {level, Level.SYSTEM}:
            codes = _codes(
                transition, state=state, actor_levels=frozenset({other}), reason="r", return_to=Level.CELL
            )
            assert "wrong_level" in codes, (transition, state, other)
    assert not check(
        T.REJECT, state=state, actor_levels=frozenset({level}), eligible=True, reason="Không đủ hồ sơ"
    )


@pytest.mark.parametrize(
    ("state", "level"),
    [
        (State.PROPOSED, Level.GRASSROOTS),
        (State.CONFIRMED, Level.UPPER),
        (State.DECIDED, Level.PROVINCE),
        (State.FORWARDED, Level.CENTRE),
    ],
)
def test_a_case_is_returned_only_to_a_level_below_the_one_returning_it(state: State, level: Level) -> None:
    for return_to in (*Level, None):
        codes = _codes(
            T.RETURN, state=state, actor_levels=frozenset({level}), reason="r", return_to=return_to
        )
        below = return_to in RESUBMITTED_TO and RANK[return_to] < RANK[level]
        assert (codes == set()) == below, return_to
        assert (codes == {"return_level"}) == (not below), return_to


@pytest.mark.parametrize("returned_to", list(RESUBMITTED_TO))
def test_a_returned_case_is_resubmitted_by_the_level_it_waits_at(returned_to: Level) -> None:
    for level in Level:
        codes = _codes(
            T.RESUBMIT, state=State.RETURNED, actor_levels=frozenset({level}), returned_to=returned_to
        )
        assert (codes == set()) == (level is returned_to), level


def test_a_grassroots_cell_s_secretary_acts_at_both_levels() -> None:
    both = frozenset({Level.CELL, Level.GRASSROOTS})
    assert not check(T.PROPOSE, state=None, actor_levels=both, eligible=True)
    assert not check(T.CONFIRM, state=State.PROPOSED, actor_levels=both, eligible=True)
    # Returning from the grassroots, they send it to the cell (itself), never to the grassroots.
    assert not check(
        T.RETURN, state=State.PROPOSED, actor_levels=both, eligible=True, reason="r", return_to=Level.CELL
    )
    assert _codes(
        T.RETURN, state=State.PROPOSED, actor_levels=both, reason="r", return_to=Level.GRASSROOTS
    ) == {"return_level"}


def test_every_problem_is_named_at_once() -> None:
    problems = check(
        T.RETURN, state=State.ACCEPTED, actor_levels=frozenset(), eligible=False, reason="", return_to=None
    )
    assert {p.code for p in problems} == {"wrong_state", "wrong_level", "reason_required", "return_level"}
    assert all(p.message_en and not p.message_vi for p in problems)  # pure: English msgids
    worded = problems_worded(problems)
    assert [p.code for p in worded] == [p.code for p in problems]
    assert all(p.message_vi and p.message_en and p.message_vi != p.message_en for p in worded)


levels_st = st.frozensets(st.sampled_from(list(Level)))
state_st = st.one_of(st.none(), st.sampled_from(list(State)))
level_or_none = st.one_of(st.none(), st.sampled_from(list(Level)))


@given(
    transition=st.sampled_from(list(Transition)),
    state=state_st,
    actor_levels=levels_st,
    eligible=st.booleans(),
    reason=st.sampled_from(["", " ", "Ảnh mờ"]),
    returned_to=level_or_none,
    return_to=level_or_none,
    has_card_number=st.booleans(),
)
def test_an_allowed_transition_meets_every_condition_of_the_table(
    transition: Transition,
    state: State | None,
    actor_levels: frozenset[Level],
    eligible: bool,
    reason: str,
    returned_to: Level | None,
    return_to: Level | None,
    has_card_number: bool,
) -> None:
    problems = check(
        transition,
        state=state,
        actor_levels=actor_levels,
        eligible=eligible,
        reason=reason,
        returned_to=returned_to,
        return_to=return_to,
        has_card_number=has_card_number,
    )
    assert len({p.code for p in problems}) == len(problems)  # each problem once
    if problems:
        return
    spec = TRANSITIONS[transition]
    assert state in spec.sources
    assert spec.levels & actor_levels
    assert eligible or not spec.needs_eligible
    assert reason.strip() or not spec.needs_reason
    if transition is T.RESUBMIT and returned_to is not None:
        assert returned_to in actor_levels
    if transition is T.RETURN:
        assert return_to in RESUBMITTED_TO
    if transition is T.ACCEPT:
        assert not has_card_number
