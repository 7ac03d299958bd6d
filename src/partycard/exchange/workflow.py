"""The exchange case's state machine, defined once: states, transitions, who may make each, and when.

A case goes up the tree and back down (Directive 51-CT/TW; Regulation 06-QĐ/TW, DOMAIN.md):

    proposed (cell) → confirmed (grassroots committee) → decided (the committee directly above the
    grassroots: it decides cards and keeps the issuance register) → accepted (Centre: the card number is
    allocated) → in production → produced → sent down the tree → handed over (cell meeting, receipt)
    → old card recovered (cell) → old card destroyed (the deciding committee)

Side paths: *returned* for correction (with a reason, to a named lower level, which resubmits), *rejected*
(with a reason), *on hold* while the member's eligibility has a postponing reason (the system holds and
resumes), *cancelled* (death, removal, expulsion; by the system or the deciding committee).

Every transition names one acting **level** relative to the case's member (their cell, its grassroots
organisation, the committee above that, the Centre, or the system) and the **role** that acts there. Pure
Python: the apps work out the actor's level and the member's eligibility and call :func:`check`, which
answers with every problem, worded in Vietnamese and English. Role names are the values of
``accounts.roles.Role`` (a test keeps them equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FINAL_STATES",
    "OPEN_STATES",
    "TRANSITIONS",
    "Level",
    "Problem",
    "Spec",
    "State",
    "Transition",
    "check",
    "queue_states",
    "target_state",
]


class State(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DECIDED = "decided"
    ACCEPTED = "accepted"
    IN_PRODUCTION = "in_production"
    PRODUCED = "produced"
    SENT = "sent"
    HANDED_OVER = "handed_over"
    OLD_RECOVERED = "old_recovered"
    OLD_DESTROYED = "old_destroyed"
    RETURNED = "returned"
    REJECTED = "rejected"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"


class Level(StrEnum):
    """Who acts, relative to the case's member. Ordered bottom to top (``RANK``)."""

    CELL = "cell"
    GRASSROOTS = "grassroots"
    UPPER = "upper"  # the committee directly above the grassroots organisation
    CENTRE = "centre"
    SYSTEM = "system"  # eligibility changes: hold, resume, reject, cancel on death/removal/expulsion


RANK = {Level.CELL: 0, Level.GRASSROOTS: 1, Level.UPPER: 2, Level.CENTRE: 3}

# The role that acts at each level (accounts.roles.Role values).
ROLE_AT = {
    Level.CELL: "cell_secretary",
    Level.GRASSROOTS: "grassroots_officer",
    Level.UPPER: "committee_officer",
    Level.CENTRE: "central_admin",
}

# Where a returned case goes when the level it was returned to resubmits it.
RESUBMITTED_TO = {Level.CELL: State.PROPOSED, Level.GRASSROOTS: State.CONFIRMED, Level.UPPER: State.DECIDED}


class Transition(StrEnum):
    PROPOSE = "propose"
    CONFIRM = "confirm"
    DECIDE = "decide"
    ACCEPT = "accept"
    START_PRODUCTION = "start_production"
    MARK_PRODUCED = "mark_produced"
    SEND = "send"
    HAND_OVER = "hand_over"
    RECOVER_OLD = "recover_old"
    DESTROY_OLD = "destroy_old"
    RETURN = "return"
    RESUBMIT = "resubmit"
    REJECT = "reject"
    HOLD = "hold"
    RESUME = "resume"
    CANCEL = "cancel"


# States before the new card is in the member's hands: eligibility changes hold or cancel them.
_PRE_HANDOVER = frozenset(
    {
        State.PROPOSED,
        State.CONFIRMED,
        State.DECIDED,
        State.ACCEPTED,
        State.IN_PRODUCTION,
        State.PRODUCED,
        State.SENT,
        State.RETURNED,
    }
)
FINAL_STATES = frozenset({State.OLD_DESTROYED, State.REJECTED, State.CANCELLED})
OPEN_STATES = frozenset(State) - FINAL_STATES


@dataclass(frozen=True)
class Spec:
    """One transition: from which states, to which (None: worked out, see :func:`target_state`), by which
    level(s), and what it needs."""

    sources: frozenset[State | None]
    target: State | None
    levels: frozenset[Level]
    needs_eligible: bool = False  # the member must be eligible now (no card for an ineligible member)
    needs_reason: bool = False
    label_vi: str = ""
    label_en: str = ""


def _spec(
    sources: set[State | None] | frozenset[State],
    target: State | None,
    *levels: Level,
    eligible: bool = False,
    reason: bool = False,
    vi: str,
    en: str,
) -> Spec:
    return Spec(frozenset(sources), target, frozenset(levels), eligible, reason, vi, en)


S, L = State, Level
TRANSITIONS: dict[Transition, Spec] = {
    Transition.PROPOSE: _spec({None}, S.PROPOSED, L.CELL, eligible=True, vi="Đề nghị đổi thẻ", en="Propose"),
    Transition.CONFIRM: _spec(
        {S.PROPOSED}, S.CONFIRMED, L.GRASSROOTS, eligible=True, vi="Xác nhận", en="Confirm"
    ),
    Transition.DECIDE: _spec({S.CONFIRMED}, S.DECIDED, L.UPPER, eligible=True, vi="Quyết định", en="Decide"),
    Transition.ACCEPT: _spec(
        {S.DECIDED}, S.ACCEPTED, L.CENTRE, eligible=True, vi="Trung ương duyệt, cấp số thẻ", en="Accept"
    ),
    Transition.START_PRODUCTION: _spec(
        {S.ACCEPTED}, S.IN_PRODUCTION, L.CENTRE, vi="Đưa vào sản xuất", en="Start production"
    ),
    Transition.MARK_PRODUCED: _spec(
        {S.IN_PRODUCTION}, S.PRODUCED, L.CENTRE, vi="Đã sản xuất xong", en="Mark produced"
    ),
    Transition.SEND: _spec({S.PRODUCED}, S.SENT, L.CENTRE, vi="Gửi thẻ xuống", en="Send down"),
    Transition.HAND_OVER: _spec({S.SENT}, S.HANDED_OVER, L.CELL, vi="Trao thẻ cho đảng viên", en="Hand over"),
    Transition.RECOVER_OLD: _spec(
        {S.HANDED_OVER}, S.OLD_RECOVERED, L.CELL, vi="Thu hồi thẻ cũ", en="Recover the old card"
    ),
    Transition.DESTROY_OLD: _spec(
        {S.OLD_RECOVERED}, S.OLD_DESTROYED, L.UPPER, vi="Hủy thẻ cũ", en="Destroy the old card"
    ),
    Transition.RETURN: _spec(
        {S.PROPOSED, S.CONFIRMED, S.DECIDED},
        S.RETURNED,
        L.GRASSROOTS,
        L.UPPER,
        L.CENTRE,
        reason=True,
        vi="Trả lại để sửa",
        en="Return for correction",
    ),
    Transition.RESUBMIT: _spec(
        {S.RETURNED}, None, L.CELL, L.GRASSROOTS, L.UPPER, eligible=True, vi="Gửi lại", en="Resubmit"
    ),
    Transition.REJECT: _spec(
        {S.PROPOSED, S.CONFIRMED, S.DECIDED, S.RETURNED, S.ON_HOLD},  # the last two: the system only
        S.REJECTED,
        L.GRASSROOTS,
        L.UPPER,
        L.CENTRE,
        L.SYSTEM,  # a refusing eligibility reason (services/standing.py)
        reason=True,
        vi="Không chấp thuận",
        en="Reject",
    ),
    Transition.HOLD: _spec(_PRE_HANDOVER, S.ON_HOLD, L.SYSTEM, reason=True, vi="Tạm dừng", en="Put on hold"),
    Transition.RESUME: _spec({S.ON_HOLD}, None, L.SYSTEM, eligible=True, vi="Tiếp tục", en="Resume"),
    Transition.CANCEL: _spec(
        _PRE_HANDOVER | {S.ON_HOLD}, S.CANCELLED, L.SYSTEM, L.UPPER, reason=True, vi="Hủy hồ sơ", en="Cancel"
    ),
}
del S, L

# Who acts on a case waiting in each state (a committee's queue is the cases in these states).
_ACTS_ON = {
    State.PROPOSED: Level.GRASSROOTS,
    State.CONFIRMED: Level.UPPER,
    State.DECIDED: Level.CENTRE,
    State.ACCEPTED: Level.CENTRE,
    State.IN_PRODUCTION: Level.CENTRE,
    State.PRODUCED: Level.CENTRE,
    State.SENT: Level.CELL,
    State.HANDED_OVER: Level.CELL,
    State.OLD_RECOVERED: Level.UPPER,
}


def queue_states(level: Level) -> frozenset[State]:
    """The states whose next step belongs to ``level`` (returned cases are added by their ``returned_to``)."""
    return frozenset(s for s, lv in _ACTS_ON.items() if lv == level)


@dataclass(frozen=True)
class Problem:
    code: str
    message_vi: str
    message_en: str

    def __str__(self) -> str:
        return self.message_en


def _p(code: str, vi: str, en: str) -> Problem:
    return Problem(code, vi, en)


def target_state(
    transition: Transition, *, returned_to: Level | None = None, held_from: State | None = None
) -> State:
    """The state a transition leads to; resubmit and resume depend on where the case came from."""
    spec = TRANSITIONS[transition]
    if spec.target is not None:
        return spec.target
    if transition is Transition.RESUBMIT:
        if returned_to is None or returned_to not in RESUBMITTED_TO:
            raise ValueError("a returned case names the level it was returned to")
        return RESUBMITTED_TO[returned_to]
    if held_from is None:
        raise ValueError("a held case names the state it was held from")
    return held_from


def check(
    transition: Transition,
    *,
    state: State | None,
    actor_levels: frozenset[Level],
    eligible: bool,
    reason: str = "",
    returned_to: Level | None = None,
    return_to: Level | None = None,
    has_card_number: bool = False,
) -> list[Problem]:
    """Every reason ``transition`` may not happen now (empty: it may).

    ``state`` is the case's state (None: no case yet). ``actor_levels`` are the levels at which the actor
    stands for this case's member (a grassroots cell is both cell and grassroots; the system is
    ``{Level.SYSTEM}``). ``returned_to`` is where a returned case waits; ``return_to`` is where a
    ``RETURN`` sends it.
    """
    spec = TRANSITIONS[transition]
    problems: list[Problem] = []
    if state not in spec.sources:
        now = state.value if state else "none"
        problems.append(
            _p(
                "wrong_state",
                f"Không thể «{spec.label_vi}» hồ sơ ở trạng thái {now}.",
                f"Cannot {transition.value} a case in state {now}.",
            )
        )
    acting = spec.levels & actor_levels
    if transition is Transition.RESUBMIT and returned_to is not None:
        acting = acting & {returned_to}
    if transition is Transition.RETURN and state in _ACTS_ON:
        acting = acting & {_ACTS_ON[state]}  # only the level whose turn it is sends a case back
    if transition is Transition.REJECT:  # the level whose turn it is, or the system
        acting = (acting & ({_ACTS_ON[state]} if state in _ACTS_ON else set())) | (acting & {Level.SYSTEM})
    if not acting:
        problems.append(
            _p(
                "wrong_level",
                f"Cấp của bạn không được «{spec.label_vi}» hồ sơ này.",
                f"Your role and level may not {transition.value} this case.",
            )
        )
    if spec.needs_reason and not reason.strip():
        problems.append(_p("reason_required", "Cần ghi rõ lý do.", "A reason is required."))
    if transition is Transition.RETURN:
        top = max((RANK[lv] for lv in acting if lv in RANK), default=-1)
        if return_to is None or return_to not in RESUBMITTED_TO or RANK[return_to] >= top:
            problems.append(
                _p(
                    "return_level",
                    "Chỉ trả lại cho một cấp dưới cấp mình (chi bộ, cơ sở hoặc cấp trên cơ sở).",
                    "A case is returned to a level below the one returning it.",
                )
            )
    if spec.needs_eligible and not eligible:
        problems.append(
            _p(
                "not_eligible",
                "Đảng viên hiện không đủ điều kiện đổi thẻ.",
                "The member is not eligible for a new card now.",
            )
        )
    if transition is Transition.ACCEPT and has_card_number:
        problems.append(_p("has_number", "Hồ sơ đã có số thẻ.", "The case already has a card number."))
    return problems
