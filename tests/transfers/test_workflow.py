"""The transition table (workflow.py), read row by row from the procedure it encodes."""

from __future__ import annotations

import pytest

from partycard.transfers.workflow import FINAL_STATES, STEPS, Problem, Side, State, Step, check

BOTH = frozenset({Side.SENDING, Side.RECEIVING})

# (state, step, who) -> the state reached, for every step that may be taken.
ALLOWED = {
    (State.DRAFTED, Step.ISSUE, Side.SENDING): State.ISSUED,
    (State.ISSUED, Step.RECEIVE, Side.RECEIVING): State.RECEIVED,
    (State.RECEIVED, Step.COMPLETE, Side.RECEIVING): State.COMPLETED,
    (State.DRAFTED, Step.CANCEL, Side.SENDING): State.CANCELLED,
    (State.ISSUED, Step.CANCEL, Side.SENDING): State.CANCELLED,
    (State.ISSUED, Step.REFUSE, Side.RECEIVING): State.REFUSED,
    (State.RECEIVED, Step.REFUSE, Side.RECEIVING): State.REFUSED,
    (State.DRAFTED, Step.EXPIRE, Side.SYSTEM): State.EXPIRED,
    (State.ISSUED, Step.EXPIRE, Side.SYSTEM): State.EXPIRED,
}


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("step", list(Step))
def test_every_cell_of_the_table(state: State, step: Step) -> None:
    side = STEPS[step].side
    problems = check(state, step, sides=frozenset({side}), reason="lý do")
    if (state, step, side) in ALLOWED:
        assert problems == []
        assert STEPS[step].target == ALLOWED[(state, step, side)]
    else:
        assert problems == [Problem.WRONG_STATE]


def test_nothing_leaves_a_final_state() -> None:
    assert {State.COMPLETED, State.CANCELLED, State.REFUSED, State.EXPIRED} == FINAL_STATES
    for state in FINAL_STATES:
        for step in Step:
            assert Problem.WRONG_STATE in check(state, step, sides=frozenset(Side), reason="x")


def test_each_side_takes_only_its_own_steps() -> None:
    assert check(State.DRAFTED, Step.ISSUE, sides=frozenset({Side.RECEIVING})) == [Problem.WRONG_SIDE]
    assert check(State.ISSUED, Step.RECEIVE, sides=frozenset({Side.SENDING})) == [Problem.WRONG_SIDE]
    assert check(State.ISSUED, Step.EXPIRE, sides=BOTH) == [Problem.WRONG_SIDE]  # only the system expires
    assert check(State.ISSUED, Step.RECEIVE, sides=frozenset()) == [Problem.WRONG_SIDE]  # a member: none


def test_cancel_and_refuse_need_a_reason() -> None:
    assert check(State.DRAFTED, Step.CANCEL, sides=BOTH, reason=" ") == [Problem.REASON_REQUIRED]
    assert check(State.ISSUED, Step.REFUSE, sides=BOTH) == [Problem.REASON_REQUIRED]


def test_a_member_under_inspection_blocks_the_letter_and_the_completion_not_the_way_out() -> None:
    """DOMAIN.md: "A member under inspection or complaint review is not transferred"."""
    blocked = {s for s in Step if check(State.DRAFTED if s != Step.COMPLETE else State.RECEIVED, s,
                                         sides=frozenset(Side), reason="x", under_inspection=True)
               == [Problem.UNDER_INSPECTION]}  # fmt: skip
    assert blocked == {Step.ISSUE, Step.COMPLETE}
    assert check(State.ISSUED, Step.CANCEL, sides=BOTH, reason="x", under_inspection=True) == []


def test_deadlines_bind_the_letter_and_its_presentation() -> None:
    """DOMAIN.md: start within 60 working days of the decision, present the letter within 30 days."""
    assert check(State.DRAFTED, Step.ISSUE, sides=BOTH, overdue=frozenset({"start"})) == [
        Problem.DEADLINE_PASSED
    ]
    assert check(State.ISSUED, Step.RECEIVE, sides=BOTH, overdue=frozenset({"present"})) == [
        Problem.DEADLINE_PASSED
    ]
    assert check(State.ISSUED, Step.CANCEL, sides=BOTH, reason="x", overdue=frozenset({"present"})) == []
