"""The inspection's states and the steps between them, defined once (pure: no Django).

Regulation 22-QĐ/TW (28/7/2021) on the Party's inspection work, and the UBKT's inspection procedure under it,
run an inspection in three stages: preparation (the decision to inspect, quyết định kiểm tra, and the team),
conduct (the team verifies: thẩm tra, xác minh) and conclusion (the notice of the inspection's conclusion,
thông báo kết luận kiểm tra; the inspected organisation's report on remedying, báo cáo kết quả khắc phục;
the file closed). Here: ``open`` (decided), ``sampled`` (the cases to verify drawn, findings being
recorded), ``concluded``, ``responded``, ``closed``. Only the services move an inspection along this table.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["STEPS", "State", "Step", "next_state"]


class State(StrEnum):
    OPEN = "open"  # the decision to inspect is recorded; no case drawn yet
    SAMPLED = "sampled"  # the sample is drawn: the team verifies each case and records its finding
    CONCLUDED = "concluded"  # the conclusion is issued to the inspected organisation
    RESPONDED = "responded"  # the inspected organisation reported how it remedies
    CLOSED = "closed"  # the commission closed the file


class Step(StrEnum):
    SAMPLE = "sample"
    RECORD_FINDING = "record_finding"
    CONCLUDE = "conclude"
    RESPOND = "respond"
    CLOSE = "close"


#: step -> (the states it may be taken from, the state it leads to). A finding may be recorded (or
#: corrected) only while the team verifies: once the conclusion is issued it is what the conclusion rests on.
STEPS: dict[Step, tuple[frozenset[State], State]] = {
    Step.SAMPLE: (frozenset({State.OPEN}), State.SAMPLED),
    Step.RECORD_FINDING: (frozenset({State.SAMPLED}), State.SAMPLED),
    Step.CONCLUDE: (frozenset({State.SAMPLED}), State.CONCLUDED),
    Step.RESPOND: (frozenset({State.CONCLUDED}), State.RESPONDED),
    Step.CLOSE: (frozenset({State.RESPONDED}), State.CLOSED),
}


def next_state(state: str, step: Step) -> State | None:
    """The state ``step`` leads to from ``state``, or None if it may not be taken from there."""
    sources, target = STEPS[step]
    return target if state in sources else None
