"""A lost or damaged card's report, its states and the steps between them, defined once (pure: no Django).

DOMAIN.md "Lost or damaged card", after Regulation 06-QĐ/TW and Guidance 12-HD/BTCTW on party cards: the
member reports it and the cell collects two 2×3 cm photos; the grassroots committee lists the case (form
2-TDV for a lost card, 3-TDV for a damaged one); the upper committee's organisation board compiles the
cases (2A-TDV, 3A-TDV) and its standing committee decides (4-TDV); the reissue then enters production with
a new card number. Here:

    reported → listed (grassroots: 2-TDV / 3-TDV) → compiled (upper committee's board: 2A-TDV / 3A-TDV)
    → decided (upper committee's standing committee: 4-TDV; the reissue allocated) → reissued (the new
    card handed over at the cell); or refused (by the deciding committee, from any open state).

Each step is taken at one level of the member's organisation tree (``Level``, the cards' levels plus the
member themself); the app works out the actor's levels from the card's route (``cards.selectors``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FORM_OF",
    "OPEN_STATES",
    "STEPS",
    "Form",
    "Kind",
    "Level",
    "Problem",
    "Spec",
    "State",
    "Step",
    "check",
    "form_for",
]


class Kind(StrEnum):
    LOST = "lost"
    DAMAGED = "damaged"


class State(StrEnum):
    REPORTED = "reported"  # the member (or their cell) reported it: the card is suspended at once
    LISTED = "listed"  # the grassroots committee listed the case (2-TDV / 3-TDV)
    COMPILED = "compiled"  # the upper committee's organisation board compiled it (2A-TDV / 3A-TDV)
    DECIDED = "decided"  # its standing committee decided the reissue (4-TDV): old card revoked, new allocated
    REISSUED = "reissued"  # the new card reached the member (handed over at the cell)
    REFUSED = "refused"  # the deciding committee refused the reissue


class Level(StrEnum):
    """Who acts: the member themself, or the officers standing at one of the cards' levels."""

    MEMBER = "member"
    CELL = "cell"
    GRASSROOTS = "grassroots"
    UPPER = "upper"  # the committee directly above the grassroots (its board compiles, it decides)


class Step(StrEnum):
    REPORT = "report"
    LIST = "list"
    COMPILE = "compile"
    DECIDE = "decide"
    REFUSE = "refuse"
    CLOSE = "close"  # the new card was handed over: the case is done


OPEN_STATES = frozenset({State.REPORTED, State.LISTED, State.COMPILED})


@dataclass(frozen=True)
class Spec:
    sources: frozenset[State | None]
    target: State
    levels: frozenset[Level]
    needs_reason: bool = False
    decides: bool = False  # the deciding committee's step (accounts.roles DECIDE_LOSS)


def _spec(
    sources: set[State | None] | frozenset[State],
    target: State,
    *levels: Level,
    reason: bool = False,
    decides: bool = False,
) -> Spec:
    return Spec(frozenset(sources), target, frozenset(levels), reason, decides)


S, L = State, Level
STEPS: dict[Step, Spec] = {
    # DOMAIN.md: "the member reports it, the cell collects 2 photos (2×3 cm)".
    Step.REPORT: _spec({None}, S.REPORTED, L.MEMBER, L.CELL),
    # "the grassroots committee lists the case (forms 2-TDV, 3-TDV)".
    Step.LIST: _spec({S.REPORTED}, S.LISTED, L.GRASSROOTS),
    # "the upper committee's organisation board compiles (2A-TDV, 3A-TDV)".
    Step.COMPILE: _spec({S.LISTED}, S.COMPILED, L.UPPER),
    # "and its standing committee decides (4-TDV)".
    Step.DECIDE: _spec({S.COMPILED}, S.DECIDED, L.UPPER, decides=True),
    # The deciding committee may refuse at any stage before its decision; it says why.
    Step.REFUSE: _spec(OPEN_STATES, S.REFUSED, L.UPPER, reason=True, decides=True),
    # The cell handed the new card over (cards.lifecycle HAND_OVER): the case is closed.
    Step.CLOSE: _spec({S.DECIDED}, S.REISSUED, L.CELL, L.UPPER),
}
del S, L


class Form(StrEnum):
    """The forms of the procedure (Guidance 12-HD/BTCTW's appendix numbering)."""

    F2 = "2-TDV"  # the grassroots committee's list of members who lost their card
    F3 = "3-TDV"  # … whose card was damaged
    F2A = "2A-TDV"  # the upper committee's compiled list of lost cards
    F3A = "3A-TDV"  # … of damaged cards
    F4 = "4-TDV"  # the standing committee's decision to reissue


FORM_OF: dict[tuple[Step, Kind | None], Form] = {
    (Step.LIST, Kind.LOST): Form.F2,
    (Step.LIST, Kind.DAMAGED): Form.F3,
    (Step.COMPILE, Kind.LOST): Form.F2A,
    (Step.COMPILE, Kind.DAMAGED): Form.F3A,
    (Step.DECIDE, None): Form.F4,
}


def form_for(form: Form) -> tuple[Step, Kind | None]:
    """The step a form records and the kind of card it lists (None: both kinds, the decision)."""
    return next(key for key, value in FORM_OF.items() if value is form)


@dataclass(frozen=True)
class Problem:
    code: str  # wrong_state, wrong_level, reason_required, not_decider


def check(
    step: Step, *, state: State | None, levels: frozenset[Level], reason: str = "", decider: bool = True
) -> list[Problem]:
    """Every reason ``step`` may not be taken now by an actor standing at ``levels`` (empty: it may).

    ``decider`` says whether the actor's role may take the deciding committee's steps at all.
    """
    spec = STEPS[step]
    problems: list[Problem] = []
    if state not in spec.sources:
        problems.append(Problem("wrong_state"))
    if not spec.levels & levels:
        problems.append(Problem("wrong_level"))
    if spec.decides and not decider:
        problems.append(Problem("not_decider"))
    if spec.needs_reason and not reason.strip():
        problems.append(Problem("reason_required"))
    return problems
