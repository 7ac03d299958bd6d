"""The party card's life, defined once: its states, the events that move it, who may make each, and
what its status-list entry says in each state.

A new card (thẻ đảng viên mới) begins when the Centre accepts the member's exchange case and allocates
its national number; the member's old 8-digit card (2003 exchange) is a card of its own, held by the
member until the new one replaces it (Directive 51-CT/TW; Regulation 06-QĐ/TW; DOMAIN.md):

    allocated → in production → produced (at the Centre) → in transit to the next level down
    → received there → … (province → the committee directly above the grassroots → grassroots → cell)
    → active (handed over at the cell's meeting) → lost / damaged / suspended / revoked / superseded
    → recovered (the cell takes the physical card back) → destroyed (the deciding committee)

Pure Python: the ``cards`` app works out the actor's level and the card's route and calls
:func:`check`, which answers with every problem (codes; the app words them through gettext).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "ACTIVE_LIKE",
    "FINAL_STATES",
    "HOLDING_STATES",
    "IRREVERSIBLE",
    "STATUS_OF",
    "TRANSITIONS",
    "CardKind",
    "CardLevel",
    "CardState",
    "CardTransition",
    "Problem",
    "Spec",
    "check",
    "route_next",
]


class CardKind(StrEnum):
    NEW = "new"  # the chip card of this exchange: a 10-digit national number with a check digit
    OLD = "old"  # the 8-digit card of the 2003 exchange, recovered and destroyed after the new one


class CardState(StrEnum):
    ALLOCATED = "allocated"
    IN_PRODUCTION = "in_production"
    PRODUCED = "produced"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LOST = "lost"
    DAMAGED = "damaged"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    RECOVERED = "recovered"
    DESTROYED = "destroyed"


class CardLevel(StrEnum):
    """Where a card travelling down the tree is, top to bottom (DOMAIN.md "Scale and hierarchy")."""

    CENTRE = "centre"
    PROVINCE = "province"  # the committee directly under the Centre
    UPPER = "upper"  # the committee directly above the grassroots organisation
    GRASSROOTS = "grassroots"
    CELL = "cell"
    SYSTEM = "system"  # a member change (death, expulsion) or the exchange's acceptance


class CardTransition(StrEnum):
    ALLOCATE = "allocate"
    REGISTER_OLD = "register_old"
    START_PRODUCTION = "start_production"
    MARK_PRODUCED = "mark_produced"
    SPOIL = "spoil"
    SEND = "send"
    RECEIVE = "receive"
    HAND_OVER = "hand_over"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REPORT_LOST = "report_lost"
    REPORT_DAMAGED = "report_damaged"
    REVOKE = "revoke"
    SUPERSEDE = "supersede"
    RECOVER = "recover"
    DESTROY = "destroy"


S, L = CardState, CardLevel

# Before the card reaches the member: the Party holds it (a member change revokes it; it never verifies).
HOLDING_STATES = frozenset({S.ALLOCATED, S.IN_PRODUCTION, S.PRODUCED, S.IN_TRANSIT, S.RECEIVED})
# The member holds a card that is still theirs (it may be replaced, suspended or revoked).
ACTIVE_LIKE = frozenset({S.ACTIVE, S.SUSPENDED, S.DAMAGED})
FINAL_STATES = frozenset({S.DESTROYED})

# The card's entry in its status list in each state (draft-ietf-oauth-status-list §7.1: 0x00 VALID,
# 0x01 INVALID, 0x02 SUSPENDED). A card on its way down is SUSPENDED, not valid: one stolen in transit
# must not verify; the hand-over makes it VALID. A damaged card stays the member's valid card until the
# replacement supersedes it.
STATUS_VALID, STATUS_INVALID, STATUS_SUSPENDED = 0x00, 0x01, 0x02
STATUS_OF: dict[CardState, int] = {
    S.ALLOCATED: STATUS_SUSPENDED,
    S.IN_PRODUCTION: STATUS_SUSPENDED,
    S.PRODUCED: STATUS_SUSPENDED,
    S.IN_TRANSIT: STATUS_SUSPENDED,
    S.RECEIVED: STATUS_SUSPENDED,
    S.ACTIVE: STATUS_VALID,
    S.DAMAGED: STATUS_VALID,
    S.SUSPENDED: STATUS_SUSPENDED,
    S.LOST: STATUS_INVALID,
    S.REVOKED: STATUS_INVALID,
    S.SUPERSEDED: STATUS_INVALID,
    S.RECOVERED: STATUS_INVALID,
    S.DESTROYED: STATUS_INVALID,
}


@dataclass(frozen=True)
class Spec:
    """One event: from which states (None: the card does not exist yet), to which, by which levels."""

    sources: frozenset[CardState | None]
    target: CardState
    levels: frozenset[CardLevel]
    kinds: frozenset[CardKind] = frozenset(CardKind)
    needs_reason: bool = False


def _spec(
    sources: set[CardState | None] | frozenset[CardState],
    target: CardState,
    *levels: CardLevel,
    kinds: frozenset[CardKind] = frozenset(CardKind),
    reason: bool = False,
) -> Spec:
    return Spec(frozenset(sources), target, frozenset(levels), kinds, reason)


_NEW = frozenset({CardKind.NEW})
_OLD = frozenset({CardKind.OLD})
_TRAVEL = frozenset({L.CENTRE, L.PROVINCE, L.UPPER, L.GRASSROOTS, L.CELL})

TRANSITIONS: dict[CardTransition, Spec] = {
    # The Centre accepts the case and allocates the number (exchange workflow's ACCEPT).
    CardTransition.ALLOCATE: _spec({None}, S.ALLOCATED, L.CENTRE, L.SYSTEM, kinds=_NEW),
    # The member's existing card, recorded from the registry's old card number.
    CardTransition.REGISTER_OLD: _spec({None}, S.ACTIVE, L.SYSTEM, kinds=_OLD),
    CardTransition.START_PRODUCTION: _spec({S.ALLOCATED}, S.IN_PRODUCTION, L.CENTRE, L.SYSTEM, kinds=_NEW),
    CardTransition.MARK_PRODUCED: _spec({S.IN_PRODUCTION}, S.PRODUCED, L.CENTRE, L.SYSTEM, kinds=_NEW),
    # The manufacturer spoiled the card (a chip or print defect, or missing from its report): the number
    # goes back to the queue and the next batch makes it again on a new chip (issue 14; docs/production.md).
    CardTransition.SPOIL: _spec({S.IN_PRODUCTION}, S.ALLOCATED, L.CENTRE, L.SYSTEM, kinds=_NEW, reason=True),
    # Sent by the level holding it to the next one down; received there (the route: route_next).
    CardTransition.SEND: _spec({S.PRODUCED, S.RECEIVED}, S.IN_TRANSIT, *_TRAVEL, kinds=_NEW),
    CardTransition.RECEIVE: _spec({S.IN_TRANSIT}, S.RECEIVED, *_TRAVEL, kinds=_NEW),
    # Regulation 06-QĐ/TW: the cell hands the card over at its next meeting.
    CardTransition.HAND_OVER: _spec({S.RECEIVED}, S.ACTIVE, L.CELL, kinds=_NEW),
    # Activities suspended (đình chỉ sinh hoạt đảng): the card verifies as suspended until reinstated.
    CardTransition.SUSPEND: _spec({S.ACTIVE, S.DAMAGED}, S.SUSPENDED, L.SYSTEM, L.UPPER, reason=True),
    CardTransition.REINSTATE: _spec({S.SUSPENDED}, S.ACTIVE, L.SYSTEM, L.UPPER),
    # DOMAIN.md "Lost or damaged card": the member reports it through the cell.
    CardTransition.REPORT_LOST: _spec(
        {S.ACTIVE, S.SUSPENDED, S.DAMAGED, S.IN_TRANSIT, S.RECEIVED}, S.LOST, L.CELL, L.UPPER, reason=True
    ),
    CardTransition.REPORT_DAMAGED: _spec({S.ACTIVE}, S.DAMAGED, L.CELL, L.UPPER, reason=True),
    # Death, removal, expulsion, leaving: the card stops verifying wherever it is.
    CardTransition.REVOKE: _spec(
        HOLDING_STATES | {S.ACTIVE, S.SUSPENDED, S.DAMAGED, S.LOST},
        S.REVOKED,
        L.SYSTEM,
        L.UPPER,
        reason=True,
    ),
    # The new card handed over replaces the member's earlier card (old or new: a reissue).
    CardTransition.SUPERSEDE: _spec({S.ACTIVE, S.SUSPENDED, S.DAMAGED, S.LOST}, S.SUPERSEDED, L.SYSTEM),
    # DOMAIN.md: on expulsion or removal "the cell recovers the card and sends it up".
    CardTransition.RECOVER: _spec({S.REVOKED, S.SUPERSEDED, S.DAMAGED}, S.RECOVERED, L.CELL, L.UPPER),
    # A card recovered (or revoked before it reached the member, then taken back) is destroyed.
    CardTransition.DESTROY: _spec({S.RECOVERED}, S.DESTROYED, L.UPPER, L.CENTRE),
}
del S, L

# The steps an officer cannot take back, which the pages ask them to confirm first (issue 15, "a
# confirmation step for irreversible actions"): after a revocation or a loss the card never verifies again
# (no step leads from revoked or lost back to active: a new card is issued instead), and a destroyed card
# is gone. Suspending is undone by reinstating; recording a card recovered changes nothing it shows.
IRREVERSIBLE = frozenset({CardTransition.REVOKE, CardTransition.REPORT_LOST, CardTransition.DESTROY})


@dataclass(frozen=True)
class Problem:
    code: str  # wrong_state, wrong_kind, wrong_level, reason_required


def check(
    transition: CardTransition,
    *,
    state: CardState | None,
    kind: CardKind,
    actor_levels: frozenset[CardLevel],
    reason: str = "",
    at_level: CardLevel | None = None,
) -> list[Problem]:
    """Every reason ``transition`` may not happen now (empty: it may).

    ``actor_levels`` are the levels at which the actor stands for this card (the system is
    ``{CardLevel.SYSTEM}``). ``at_level`` is where a travelling card is (a produced card is at the
    Centre; one in transit is at the level it was sent to): only that level sends a card it holds, or
    receives one sent to it.
    """
    spec = TRANSITIONS[transition]
    problems: list[Problem] = []
    if state not in spec.sources:
        problems.append(Problem("wrong_state"))
    if kind not in spec.kinds:
        problems.append(Problem("wrong_kind"))
    acting = spec.levels & actor_levels
    if transition in (CardTransition.SEND, CardTransition.RECEIVE):
        acting &= {at_level} if at_level is not None else set()
    if not acting:
        problems.append(Problem("wrong_level"))
    if spec.needs_reason and not reason.strip():
        problems.append(Problem("reason_required"))
    return problems


def route_next(route: list[CardLevel], at: CardLevel | None) -> CardLevel | None:
    """The level after ``at`` on the card's way down (``route`` from the Centre to the member's cell);
    None when the card is at the end of its route (the cell)."""
    if at is None:
        return route[0] if route else None
    position = route.index(at)
    return route[position + 1] if position + 1 < len(route) else None
