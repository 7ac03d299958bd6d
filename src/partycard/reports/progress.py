"""What a progress report counts, defined once: the metrics, one organisation's figures, and the stages
of the exchange's funnel read from them.

The counters hold *current* states (a case is in exactly one state, a card in exactly one); the report's
"how many have reached this stage" is derived here, because both pipelines are linear up to their end
(a case: proposed → confirmed → decided → forwarded → accepted; a new card: in production → produced →
in transit → received → handed over). Directive 51-CT/TW asks the Organisation Commission to report the
exchange's progress by level; the stages below are the steps it names (DOMAIN.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "CARD_METRICS",
    "CASE_METRICS",
    "OLD_CARD_METRICS",
    "STAGES",
    "Lagging",
    "Metric",
    "Progress",
    "Stage",
]


class Metric(StrEnum):
    """One counter per organisation. Case metrics count the cases of the campaign reported on, by state;
    card metrics count new cards by state and old cards by state; eligibility metrics count the members'
    verdicts in that campaign (``Progress.reasons`` splits the not-eligible by reason code)."""

    # Eligibility (exchange.Eligibility of the campaign).
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"  # refused; ``Progress.reasons`` by ReasonCode
    POSTPONED = "postponed"  # eligible once a postponing reason is resolved
    # Cases, by current state (exchange/workflow.py State).
    CASE_PROPOSED = "case_proposed"
    CASE_CONFIRMED = "case_confirmed"
    CASE_DECIDED = "case_decided"
    CASE_FORWARDED = "case_forwarded"
    CASE_ACCEPTED = "case_accepted"
    CASE_RETURNED = "case_returned"
    CASE_REJECTED = "case_rejected"
    CASE_ON_HOLD = "case_on_hold"
    CASE_CANCELLED = "case_cancelled"
    # New cards, by current state (cards/lifecycle.py CardState, kind "new").
    CARD_ALLOCATED = "card_allocated"
    CARD_IN_PRODUCTION = "card_in_production"
    CARD_PRODUCED = "card_produced"
    CARD_IN_TRANSIT = "card_in_transit"
    CARD_RECEIVED = "card_received"
    CARD_ACTIVE = "card_active"  # handed over at the cell's meeting
    CARD_SUSPENDED = "card_suspended"
    CARD_LOST = "card_lost"
    CARD_DAMAGED = "card_damaged"
    CARD_REVOKED = "card_revoked"
    CARD_SUPERSEDED = "card_superseded"
    CARD_RECOVERED = "card_recovered"
    CARD_DESTROYED = "card_destroyed"
    # Old (2003) cards, by the states that matter to the report.
    OLD_ACTIVE = "old_active"  # still with the member
    OLD_SUPERSEDED = "old_superseded"  # replaced by the new card, not yet taken back
    OLD_RECOVERED = "old_recovered"
    OLD_DESTROYED = "old_destroyed"
    OLD_OTHER = "old_other"  # lost, revoked, …
    # New cards issued to replace a lost or damaged card (the reissue of issue 16; 0 until it exists).
    REISSUED = "reissued"


CASE_METRICS = tuple(m for m in Metric if m.value.startswith("case_"))
CARD_METRICS = tuple(m for m in Metric if m.value.startswith("card_"))
OLD_CARD_METRICS = tuple(m for m in Metric if m.value.startswith("old_"))


class Stage(StrEnum):
    """The funnel's stages, top to bottom: how many members have reached each (cumulative)."""

    MEMBERS = "members"
    ELIGIBLE = "eligible"
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DECIDED = "decided"
    FORWARDED = "forwarded"
    ACCEPTED = "accepted"
    PRODUCED = "produced"
    DELIVERED = "delivered"  # received at the cell, or later
    HANDED_OVER = "handed_over"
    OLD_RECOVERED = "old_recovered"


M = Metric
_AFTER_ACCEPTED_CARD = (
    M.CARD_ALLOCATED,
    M.CARD_IN_PRODUCTION,
    M.CARD_PRODUCED,
    M.CARD_IN_TRANSIT,
    M.CARD_RECEIVED,
    M.CARD_ACTIVE,
    M.CARD_SUSPENDED,
    M.CARD_LOST,
    M.CARD_DAMAGED,
    M.CARD_REVOKED,
    M.CARD_SUPERSEDED,
    M.CARD_RECOVERED,
    M.CARD_DESTROYED,
)
_HANDED_OVER = (
    M.CARD_ACTIVE,
    M.CARD_SUSPENDED,
    M.CARD_LOST,
    M.CARD_DAMAGED,
    M.CARD_SUPERSEDED,
    M.CARD_RECOVERED,
    M.CARD_DESTROYED,
)
# Which current states count as having reached each stage. A case past acceptance stays ACCEPTED (its card
# carries the rest), so every stage up to ACCEPTED counts accepted cases too.
STAGES: dict[Stage, tuple[Metric, ...]] = {
    Stage.ELIGIBLE: (M.ELIGIBLE,),
    Stage.PROPOSED: (M.CASE_PROPOSED, M.CASE_CONFIRMED, M.CASE_DECIDED, M.CASE_FORWARDED, M.CASE_ACCEPTED),
    Stage.CONFIRMED: (M.CASE_CONFIRMED, M.CASE_DECIDED, M.CASE_FORWARDED, M.CASE_ACCEPTED),
    Stage.DECIDED: (M.CASE_DECIDED, M.CASE_FORWARDED, M.CASE_ACCEPTED),
    Stage.FORWARDED: (M.CASE_FORWARDED, M.CASE_ACCEPTED),
    Stage.ACCEPTED: (M.CASE_ACCEPTED,),
    Stage.PRODUCED: tuple(
        m for m in _AFTER_ACCEPTED_CARD if m not in (M.CARD_ALLOCATED, M.CARD_IN_PRODUCTION)
    ),
    Stage.DELIVERED: (M.CARD_RECEIVED, *_HANDED_OVER),
    Stage.HANDED_OVER: _HANDED_OVER,
    Stage.OLD_RECOVERED: (M.OLD_RECOVERED, M.OLD_DESTROYED),
}


@dataclass(frozen=True)
class Progress:
    """One organisation's figures (its whole subtree), on ``on`` (None: now).

    ``counts`` has every :class:`Metric` (0 when none); ``reasons`` the not-eligible members by eligibility
    ``ReasonCode`` value; ``members`` the probationary and official members of the subtree.
    """

    code: str
    name: str
    level: int
    path: str
    members: int
    counts: dict[str, int]
    reasons: dict[str, int] = field(default_factory=dict)
    on: dt.date | None = None
    has_children: bool = False

    def count(self, metric: Metric) -> int:
        return self.counts.get(metric.value, 0)

    def reached(self, stage: Stage) -> int:
        """How many members have reached ``stage`` (cumulative; MEMBERS is the member count)."""
        if stage == Stage.MEMBERS:
            return self.members
        return sum(self.count(m) for m in STAGES[stage])

    def share(self, stage: Stage) -> float:
        """``reached(stage)`` as a fraction of the eligible members (of the members for ELIGIBLE); 0.0
        when the base is 0."""
        base = self.members if stage in (Stage.MEMBERS, Stage.ELIGIBLE) else self.reached(Stage.ELIGIBLE)
        return self.reached(stage) / base if base else 0.0


@dataclass(frozen=True)
class Lagging:
    """One of the slowest organisations of a subtree, and why its members wait.

    ``stuck_state`` is the :class:`Metric` value of the step where most of its unfinished work waits: an
    open case's state (``case_decided``: decided, waiting for the province to forward) or, once accepted,
    a new card's state on its way down (``card_in_transit``); "" when nothing waits. ``stuck_count`` is how
    many wait there, ``oldest_days`` how many whole days the longest of them has waited in that state.
    """

    progress: Progress
    parent_name: str
    stuck_state: str
    stuck_count: int
    oldest_days: int
