"""The exchange case's state machine, defined once: states, transitions, who may make each, and when.

A case goes up the tree (Directive 51-CT/TW; Regulation 06-QĐ/TW, DOMAIN.md):

    proposed (cell) → confirmed (grassroots committee) → decided (cấp ủy cấp trên trực tiếp của tổ chức
    cơ sở đảng, the committee directly above the grassroots: it decides cards and keeps the issuance
    register) → forwarded (the committee directly under the Centre: a province, the Army, Public Security,
    a central block, reviews and forwards its committees' decisions) → accepted (Centre: the card number
    is allocated)

The case ends there: from the Centre's acceptance on, production, the way down the tree, the hand-over
and the old card's recovery and destruction are the **card's** states (``cards/lifecycle.py``).

Side paths: *returned* for correction (with a reason, to a named lower level, which resubmits), *rejected*
(with a reason), *on hold* while the member's eligibility has a postponing reason (the system holds and
resumes), *cancelled* (death, removal, expulsion; by the system or the deciding committee).

Every transition names one acting **level** relative to the case's member (their cell, its grassroots
organisation, the committee above that, the Centre, or the system) and the **role** that acts there. Pure
Python: the apps work out the actor's level and the member's eligibility and call :func:`check`, which
answers with every problem: a code and an English message that is an msgid of the translation catalogue
(the app words it in Vietnamese: ``exchange.wording``). Role names are the values of
``accounts.roles.Role`` (a test keeps them equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FINAL_STATES",
    "IRREVERSIBLE",
    "OPEN_STATES",
    "TRANSITIONS",
    "Level",
    "Problem",
    "Spec",
    "State",
    "Transition",
    "check",
    "gettext_noop",
    "queue_states",
    "target_state",
]


class State(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DECIDED = "decided"
    FORWARDED = "forwarded"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    REJECTED = "rejected"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"


class Level(StrEnum):
    """Who acts, relative to the case's member. Ordered bottom to top (``RANK``)."""

    CELL = "cell"
    GRASSROOTS = "grassroots"
    UPPER = "upper"  # the committee directly above the grassroots organisation
    PROVINCE = "province"  # the committee directly under the Centre
    CENTRE = "centre"
    SYSTEM = "system"  # eligibility changes: hold, resume, reject, cancel on death/removal/expulsion


RANK = {Level.CELL: 0, Level.GRASSROOTS: 1, Level.UPPER: 2, Level.PROVINCE: 3, Level.CENTRE: 4}

# The role that acts at each level (accounts.roles.Role values).
ROLE_AT = {
    Level.CELL: "cell_secretary",
    Level.GRASSROOTS: "grassroots_officer",
    Level.UPPER: "committee_officer",
    Level.PROVINCE: "committee_officer",
    Level.CENTRE: "central_admin",
}

# Where a returned case goes when the level it was returned to resubmits it.
RESUBMITTED_TO = {
    Level.CELL: State.PROPOSED,
    Level.GRASSROOTS: State.CONFIRMED,
    Level.UPPER: State.DECIDED,
    Level.PROVINCE: State.FORWARDED,
}


class Transition(StrEnum):
    PROPOSE = "propose"
    CONFIRM = "confirm"
    DECIDE = "decide"
    FORWARD = "forward"
    ACCEPT = "accept"
    RETURN = "return"
    RESUBMIT = "resubmit"
    REJECT = "reject"
    HOLD = "hold"
    RESUME = "resume"
    CANCEL = "cancel"


# States on the way up: eligibility changes hold, reject or cancel them.
_ON_THE_WAY = frozenset({State.PROPOSED, State.CONFIRMED, State.DECIDED, State.FORWARDED, State.RETURNED})
# Accepted is where the case ends and the card begins (cards/lifecycle.py).
FINAL_STATES = frozenset({State.ACCEPTED, State.REJECTED, State.CANCELLED})
OPEN_STATES = frozenset(State) - FINAL_STATES


def gettext_noop(message: str) -> str:
    """Marks ``message`` as an msgid for makemessages (``gettext_noop`` is one of its keywords); the app
    translates it when it shows it (``exchange.wording``). Pure: returns ``message`` unchanged."""
    return message


@dataclass(frozen=True)
class Spec:
    """One transition: from which states, to which (None: worked out, see :func:`target_state`), by which
    level(s), what it needs, and its label (an English msgid; ``exchange.wording`` translates it)."""

    sources: frozenset[State | None]
    target: State | None
    levels: frozenset[Level]
    needs_eligible: bool = False  # the member must be eligible now (no card for an ineligible member)
    needs_reason: bool = False
    label: str = ""


def _spec(
    sources: set[State | None] | frozenset[State],
    target: State | None,
    *levels: Level,
    eligible: bool = False,
    reason: bool = False,
    label: str,
) -> Spec:
    return Spec(frozenset(sources), target, frozenset(levels), eligible, reason, label)


S, L = State, Level
TRANSITIONS: dict[Transition, Spec] = {
    Transition.PROPOSE: _spec(
        {None}, S.PROPOSED, L.CELL, eligible=True, label=gettext_noop("Propose a new card")
    ),
    Transition.CONFIRM: _spec(
        {S.PROPOSED}, S.CONFIRMED, L.GRASSROOTS, eligible=True, label=gettext_noop("Confirm")
    ),
    Transition.DECIDE: _spec({S.CONFIRMED}, S.DECIDED, L.UPPER, eligible=True, label=gettext_noop("Decide")),
    # The committee directly under the Centre reviews and forwards its committees' decisions (DOMAIN.md:
    # the committees directly under the Centre "run the exchange, inspect and urge their subordinate
    # committees, report results"; the exact steps are not public [U]).
    Transition.FORWARD: _spec(
        {S.DECIDED}, S.FORWARDED, L.PROVINCE, eligible=True, label=gettext_noop("Forward to the Centre")
    ),
    Transition.ACCEPT: _spec(
        {S.FORWARDED},
        S.ACCEPTED,
        L.CENTRE,
        eligible=True,
        label=gettext_noop("Accept and allocate the card number"),
    ),
    Transition.RETURN: _spec(
        {S.PROPOSED, S.CONFIRMED, S.DECIDED, S.FORWARDED},
        S.RETURNED,
        L.GRASSROOTS,
        L.UPPER,
        L.PROVINCE,
        L.CENTRE,
        reason=True,
        label=gettext_noop("Return for correction"),
    ),
    Transition.RESUBMIT: _spec(
        {S.RETURNED},
        None,
        L.CELL,
        L.GRASSROOTS,
        L.UPPER,
        L.PROVINCE,
        eligible=True,
        label=gettext_noop("Resubmit"),
    ),
    Transition.REJECT: _spec(
        # The last two by the system only: a held or returned case whose reasons became refusing.
        {S.PROPOSED, S.CONFIRMED, S.DECIDED, S.FORWARDED, S.RETURNED, S.ON_HOLD},
        S.REJECTED,
        L.GRASSROOTS,
        L.UPPER,
        L.PROVINCE,
        L.CENTRE,
        L.SYSTEM,  # a refusing eligibility reason (services/standing.py)
        reason=True,
        label=gettext_noop("Reject"),
    ),
    Transition.HOLD: _spec(_ON_THE_WAY, S.ON_HOLD, L.SYSTEM, reason=True, label=gettext_noop("Put on hold")),
    Transition.RESUME: _spec({S.ON_HOLD}, None, L.SYSTEM, eligible=True, label=gettext_noop("Resume")),
    Transition.CANCEL: _spec(
        _ON_THE_WAY | {S.ON_HOLD},
        S.CANCELLED,
        L.SYSTEM,
        L.UPPER,
        reason=True,
        label=gettext_noop("Cancel the case"),
    ),
}
del S, L

# The transitions that cannot be undone: they end the case (an accepted case's national card number is never
# reused; a rejected or cancelled case is not reopened). The pages ask the officer to confirm them first.
IRREVERSIBLE = frozenset(t for t, spec in TRANSITIONS.items() if spec.target in FINAL_STATES)

# Who acts on a case waiting in each state (a committee's queue is the cases in these states).
_ACTS_ON = {
    State.PROPOSED: Level.GRASSROOTS,
    State.CONFIRMED: Level.UPPER,
    State.DECIDED: Level.PROVINCE,
    State.FORWARDED: Level.CENTRE,
}


def queue_states(level: Level) -> frozenset[State]:
    """The states whose next step belongs to ``level`` (returned cases are added by their ``returned_to``)."""
    return frozenset(s for s, lv in _ACTS_ON.items() if lv == level)


@dataclass(frozen=True)
class Problem:
    """Why a transition may not happen: a stable code, the message (an English msgid with ``%(name)s``
    placeholders filled from ``params``), and its Vietnamese wording once the app has translated it."""

    code: str
    message_en: str
    params: tuple[tuple[str, str], ...] = ()
    message_vi: str = ""

    def __str__(self) -> str:
        return self.message_en % dict(self.params) if self.params else self.message_en

    @property
    def msgid(self) -> str:
        return self.message_en


def _p(code: str, message: str, **params: str) -> Problem:
    return Problem(code, message, tuple(params.items()))


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
        problems.append(
            _p(
                "wrong_state",
                gettext_noop("Cannot “%(action)s” a case in state %(state)s."),
                action=spec.label,
                state=state.value if state else "none",
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
                gettext_noop("This role and level may not “%(action)s” this case."),
                action=spec.label,
            )
        )
    if spec.needs_reason and not reason.strip():
        problems.append(_p("reason_required", gettext_noop("A reason is required.")))
    if transition is Transition.RETURN:
        top = max((RANK[lv] for lv in acting if lv in RANK), default=-1)
        if return_to is None or return_to not in RESUBMITTED_TO or RANK[return_to] >= top:
            problems.append(
                _p("return_level", gettext_noop("A case is returned to a level below the one returning it."))
            )
    if spec.needs_eligible and not eligible:
        problems.append(_p("not_eligible", gettext_noop("The member is not eligible for a new card now.")))
    if transition is Transition.ACCEPT and has_card_number:
        problems.append(_p("has_number", gettext_noop("The case already has a card number.")))
    return problems
