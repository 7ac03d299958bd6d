"""What the exchange pages share: the transitions an officer may make on a case now (the buttons), a
case's timeline in Vietnamese, and a verdict's label."""

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
from partycard.exchange.selectors import can_act
from partycard.exchange.services import verdict_of
from partycard.exchange.wording import transition_label
from partycard.exchange.workflow import RANK, TRANSITIONS, Level, State, Transition, check

__all__ = ["MANUAL", "Move", "TimelineRow", "moves_for", "timeline_rows", "top_level", "verdict_label"]

# The transitions an officer makes by hand (proposals are the cell page's; hold and resume the system's).
MANUAL: tuple[Transition, ...] = tuple(
    t for t, spec in TRANSITIONS.items() if t is not Transition.PROPOSE and spec.levels - {Level.SYSTEM}
)


@dataclass(frozen=True)
class Move:
    """A button of the case page: a transition the officer may make now (the service checks again)."""

    transition: Transition
    label: str
    needs_reason: bool
    return_levels: list[tuple[str, str]] = field(default_factory=list)


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
        moves.append(Move(t, transition_label(t), spec.needs_reason, lower))
    return moves


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
