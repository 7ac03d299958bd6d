"""The transfer's states and the steps between them, defined once (pure: no Django).

A transfer of party activity (chuyển sinh hoạt đảng, DOMAIN.md) runs between two sides: the **sending**
side (the member's cell and the committee that introduces them out, which issues the introduction letter,
giấy giới thiệu sinh hoạt đảng) and the **receiving** side (the destination cell, which receives the member
on the letter and the member's e-card). Here:

    drafted (sending) → issued (the letter numbered, generated and signed) → received (the letter presented
    and the member's e-card scanned at the receiving cell) → completed (the member is in the new cell)

with the side paths *cancelled* (by the sending side, before receipt), *refused* (by the receiving side,
with a reason) and *expired* (by the system: the letter not issued within its start deadline, or not
presented within its present deadline, ``deadlines.py``). DOMAIN.md: "a member under inspection or
complaint review is not transferred": the steps marked ``blocked_by_inspection`` refuse while they are.
Only the services move a transfer along this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["FINAL_STATES", "OPEN_STATES", "STEPS", "Problem", "Side", "Spec", "State", "Step", "check"]


class State(StrEnum):
    DRAFTED = "drafted"  # prepared by the sending side; no number, no letter yet
    ISSUED = "issued"  # the introduction letter is numbered, generated and signed
    RECEIVED = "received"  # the letter presented; the member's e-card checked by the receiving cell
    COMPLETED = (
        "completed"  # the member is in the new cell (official, internal) or recorded there (temporary)
    )
    CANCELLED = "cancelled"  # withdrawn by the sending side
    REFUSED = "refused"  # the receiving side refused, with a reason
    EXPIRED = "expired"  # a deadline passed (deadlines.py)


class Step(StrEnum):
    ISSUE = "issue"
    RECEIVE = "receive"
    COMPLETE = "complete"
    CANCEL = "cancel"
    REFUSE = "refuse"
    EXPIRE = "expire"


class Side(StrEnum):
    SENDING = "sending"
    RECEIVING = "receiving"
    SYSTEM = "system"


@dataclass(frozen=True)
class Spec:
    """One step: from which states, to which, by which side, whether it needs a reason, and whether a member
    under inspection or complaint review blocks it; ``deadline`` names the deadline it must meet."""

    sources: frozenset[State]
    target: State
    side: Side
    needs_reason: bool = False
    blocked_by_inspection: bool = False
    deadline: str = ""  # "start" (the letter issued in time) or "present" (presented in time)


S = State
STEPS: dict[Step, Spec] = {
    Step.ISSUE: Spec(
        frozenset({S.DRAFTED}), S.ISSUED, Side.SENDING, blocked_by_inspection=True, deadline="start"
    ),
    Step.RECEIVE: Spec(frozenset({S.ISSUED}), S.RECEIVED, Side.RECEIVING, deadline="present"),
    Step.COMPLETE: Spec(frozenset({S.RECEIVED}), S.COMPLETED, Side.RECEIVING, blocked_by_inspection=True),
    Step.CANCEL: Spec(frozenset({S.DRAFTED, S.ISSUED}), S.CANCELLED, Side.SENDING, needs_reason=True),
    Step.REFUSE: Spec(frozenset({S.ISSUED, S.RECEIVED}), S.REFUSED, Side.RECEIVING, needs_reason=True),
    Step.EXPIRE: Spec(frozenset({S.DRAFTED, S.ISSUED}), S.EXPIRED, Side.SYSTEM),
}

FINAL_STATES = frozenset({S.COMPLETED, S.CANCELLED, S.REFUSED, S.EXPIRED})
OPEN_STATES = frozenset(State) - FINAL_STATES


class Problem(StrEnum):
    """Why a step may not be taken now (the app words each, ``errors.py``)."""

    WRONG_STATE = "wrong_state"
    WRONG_SIDE = "wrong_side"
    REASON_REQUIRED = "reason_required"
    UNDER_INSPECTION = "under_inspection"
    DEADLINE_PASSED = "deadline_passed"


def check(
    state: str,
    step: Step,
    *,
    sides: frozenset[Side],
    reason: str = "",
    under_inspection: bool = False,
    overdue: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every problem with taking ``step`` now (empty: it may be taken).

    Args:
        state: the transfer's state.
        sides: the sides the actor stands on (both, for an officer above both cells; SYSTEM for the job).
        reason: the reason given, for the steps that need one.
        under_inspection: the member is under inspection or complaint review (DOMAIN.md).
        overdue: the deadlines already passed ("start", "present").
    """
    spec = STEPS[step]
    problems: list[Problem] = []
    if state not in spec.sources:
        problems.append(Problem.WRONG_STATE)
    if spec.side not in sides:
        problems.append(Problem.WRONG_SIDE)
    if spec.needs_reason and not reason.strip():
        problems.append(Problem.REASON_REQUIRED)
    if spec.blocked_by_inspection and under_inspection:
        problems.append(Problem.UNDER_INSPECTION)
    if spec.deadline and spec.deadline in overdue:
        problems.append(Problem.DEADLINE_PASSED)
    return problems


def target(step: Step) -> State:
    """The state ``step`` leads to."""
    return STEPS[step].target
