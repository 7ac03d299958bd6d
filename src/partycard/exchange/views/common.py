"""What the exchange pages share: the transitions an officer may make on a case now (the buttons), the
transitions a queue's bulk form offers, a case's timeline in Vietnamese, and a verdict's label."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from partycard.accounts.roles import Action, allowed
from partycard.core.scope import role_of
from partycard.exchange.eligibility import Verdict
from partycard.exchange.forms import INPUT_CODES, return_levels
from partycard.exchange.models import Case, CaseEvent
from partycard.exchange.models.case import STATE_CHOICES
from partycard.exchange.selectors import can_act
from partycard.exchange.services import verdict_of
from partycard.exchange.wording import transition_label
from partycard.exchange.workflow import (
    IRREVERSIBLE,
    RANK,
    TRANSITIONS,
    Level,
    State,
    Transition,
    check,
    target_state,
)

__all__ = [
    "MANUAL",
    "Move",
    "TimelineRow",
    "moves_for",
    "timeline_rows",
    "tone",
    "top_level",
    "transitions_fitting",
    "verdict_label",
]

# The transitions an officer makes by hand (proposals are the cell page's; hold and resume the system's).
MANUAL: tuple[Transition, ...] = tuple(
    t for t, spec in TRANSITIONS.items() if t is not Transition.PROPOSE and spec.levels - {Level.SYSTEM}
)


_STATE_LABELS = dict(STATE_CHOICES)


def tone(transition: Transition) -> str:
    """How a transition's button looks: ``reject`` where it refuses the card (rejected, cancelled),
    ``return`` where it sends the case back or holds it, else ``approve`` (up the tree, or on its way)."""
    target = TRANSITIONS[transition].target
    if target in (State.REJECTED, State.CANCELLED):
        return "reject"
    if target in (State.RETURNED, State.ON_HOLD):
        return "return"
    return "approve"


@dataclass(frozen=True)
class Move:
    """A button of the case page: a transition the officer may make now (the service checks again), with
    its own fields (a reason, a level to return to, the confirmation of what cannot be undone)."""

    transition: Transition
    label: str
    needs_reason: bool
    return_levels: list[tuple[str, str]] = field(default_factory=list)
    leads_to: str = ""  # the state the case moves to, in Vietnamese
    tone: str = "approve"  # approve | return | reject (site.css)
    irreversible: bool = False


def top_level(levels: Iterable[Level]) -> Level | None:
    """The highest of ``levels`` in the tree (the system is not in it)."""
    return max((lv for lv in levels if lv in RANK), key=RANK.__getitem__, default=None)


def moves_for(actor: Any, case: Case, *, verdict: Verdict | None = None) -> list[Move]:
    """The transitions ``actor`` may make on ``case`` now, by ``workflow.check``; a reason or a return
    level still to be typed does not hide a button (the form asks for them)."""
    levels = can_act(actor, case)
    if not levels or not allowed(role_of(actor) or "", Action.CHANGE_CASE):
        return []
    moves = []
    for t in MANUAL:
        spec = TRANSITIONS[t]
        if spec.needs_eligible and verdict is None:
            verdict = verdict_of(case.member, case.campaign)
        problems = check(
            t,
            state=State(case.state),
            actor_levels=levels,
            eligible=verdict.eligible if verdict is not None else True,
            returned_to=Level(case.returned_to) if case.returned_to else None,
            has_card_number=bool(case.card_number),
        )
        if any(p.code not in INPUT_CODES for p in problems):
            continue
        lower = return_levels(top_level(levels & spec.levels)) if t is Transition.RETURN else []
        moves.append(
            Move(
                t,
                transition_label(t),
                spec.needs_reason,
                lower,
                leads_to=_leads_to(t, case),
                tone=tone(t),
                irreversible=t in IRREVERSIBLE,
            )
        )
    return moves


def _leads_to(transition: Transition, case: Case) -> str:
    try:
        state = target_state(
            transition,
            returned_to=Level(case.returned_to) if case.returned_to else None,
            held_from=State(case.held_from) if case.held_from else None,
        )
    except ValueError:  # a returned or held case without its origin: the service refuses it anyway
        return ""
    return str(_STATE_LABELS.get(state.value, state.value))


def transitions_fitting(
    level: Level, offered: Iterable[Transition], states: Iterable[State]
) -> list[Transition]:
    """The ``offered`` transitions that an officer at ``level`` can make on a case in one of ``states`` (a
    queue's bulk form offers no action that fits none of its cases: no "resubmit" without a returned case).

    The input a transition needs (a reason, a level to return to) is the form's to ask, and eligibility is
    checked case by case when the job runs: neither hides an action here.
    """
    present = list(states)
    fitting = []
    for t in offered:
        for state in present:
            problems = check(
                t,
                state=state,
                actor_levels=frozenset({level}),
                eligible=True,
                returned_to=level if state is State.RETURNED else None,
            )
            if all(p.code in INPUT_CODES for p in problems):
                fitting.append(t)
                break
    return fitting


@dataclass(frozen=True)
class TimelineRow:
    at: dt.datetime
    label: str  # the transition, in Vietnamese (workflow.TRANSITIONS)
    state: str  # the state it led to
    actor: str
    reason: str


def timeline_rows(events: Iterable[CaseEvent]) -> list[TimelineRow]:
    """A case's events, oldest first, worded for the page."""
    return [
        TimelineRow(
            e.at,
            transition_label(e.transition),
            e.get_to_state_display(),
            e.actor.get_username() if e.actor else str(_("System")),
            e.reason,
        )
        for e in events
    ]


def verdict_label(verdict: Verdict) -> tuple[str, str]:
    """The verdict's CSS class and label: eligible, postponed (the reasons resolve), or not eligible."""
    if verdict.eligible:
        return "eligible", str(_("Eligible"))
    if verdict.postponed:
        return "postponed", str(_("Postponed"))
    return "ineligible", str(_("Not eligible"))
