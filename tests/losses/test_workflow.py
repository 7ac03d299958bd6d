"""The workflow table, written from DOMAIN.md "Lost or damaged card": "the member reports it, the cell
collects 2 photos (2×3 cm); the grassroots committee lists the case (forms 2-TDV, 3-TDV); the upper
committee's organisation board compiles (2A-TDV, 3A-TDV) and its standing committee decides (4-TDV)"."""

from __future__ import annotations

import pytest

from partycard.losses.workflow import FORM_OF, Form, Kind, Level, State, Step, check, form_for

ALL = frozenset(Level)


def codes(
    step: Step, state: State | None, *levels: Level, reason: str = "", decider: bool = True
) -> set[str]:
    return {
        p.code for p in check(step, state=state, levels=frozenset(levels), reason=reason, decider=decider)
    }


@pytest.mark.parametrize(
    ("step", "state", "level"),
    [
        (Step.REPORT, None, Level.MEMBER),  # "the member reports it"
        (Step.REPORT, None, Level.CELL),  # or the cell, for the member
        (Step.LIST, State.REPORTED, Level.GRASSROOTS),  # "the grassroots committee lists the case"
        (Step.COMPILE, State.LISTED, Level.UPPER),  # "the upper committee's organisation board compiles"
        (Step.DECIDE, State.COMPILED, Level.UPPER),  # "and its standing committee decides"
    ],
)
def test_each_step_is_taken_by_its_level(step: Step, state: State | None, level: Level) -> None:
    assert codes(step, state, level) == set()
    for other in ALL - {level} - ({Level.MEMBER, Level.CELL} if step is Step.REPORT else set()):
        assert codes(step, state, other) == {"wrong_level"}, other


def test_the_order_is_list_compile_decide() -> None:
    assert codes(Step.COMPILE, State.REPORTED, Level.UPPER) == {"wrong_state"}  # not before the list
    assert codes(Step.DECIDE, State.LISTED, Level.UPPER) == {"wrong_state"}  # not before the compilation
    assert codes(Step.LIST, State.LISTED, Level.GRASSROOTS) == {"wrong_state"}  # once
    assert codes(Step.DECIDE, State.DECIDED, Level.UPPER) == {"wrong_state"}


def test_only_the_deciding_committee_decides_or_refuses_and_a_refusal_says_why() -> None:
    assert codes(Step.DECIDE, State.COMPILED, Level.UPPER, decider=False) == {"not_decider"}
    assert codes(Step.REFUSE, State.LISTED, Level.UPPER) == {"reason_required"}
    assert codes(Step.REFUSE, State.LISTED, Level.UPPER, reason="Đã tìm thấy thẻ") == set()
    assert codes(Step.REFUSE, State.DECIDED, Level.UPPER, reason="x") == {"wrong_state"}


def test_the_case_closes_once_decided_and_at_the_cell() -> None:
    assert codes(Step.CLOSE, State.DECIDED, Level.CELL) == set()
    assert codes(Step.CLOSE, State.COMPILED, Level.CELL) == {"wrong_state"}


def test_the_forms_belong_to_their_steps_and_kinds() -> None:
    assert FORM_OF[(Step.LIST, Kind.LOST)] is Form.F2 and FORM_OF[(Step.LIST, Kind.DAMAGED)] is Form.F3
    assert (
        FORM_OF[(Step.COMPILE, Kind.LOST)] is Form.F2A and FORM_OF[(Step.COMPILE, Kind.DAMAGED)] is Form.F3A
    )
    assert form_for(Form.F4) == (Step.DECIDE, None)
    assert {f.value for f in Form} == {"2-TDV", "3-TDV", "2A-TDV", "3A-TDV", "4-TDV"}
