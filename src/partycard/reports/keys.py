"""What each counted thing adds to: the tally keys of a case, a card, a verdict and a member.

One mapping, used by the counters kept on every write (``tallies``), by the recount from scratch that
checks and rebuilds them (``recount``) and by the reads (``selectors``), so the three cannot disagree.
A key is a :class:`~partycard.reports.progress.Metric` value, ``members``, or ``reason:<code>`` (one per
eligibility ``ReasonCode``: ``Progress.reasons``).
"""

from __future__ import annotations

from collections.abc import Iterable

from partycard.reports.progress import Metric

__all__ = [
    "CAMPAIGNLESS",
    "MEMBERS",
    "OLD_KEYS",
    "REASON_PREFIX",
    "card_keys",
    "case_key",
    "verdict_keys",
]

# Cards and members belong to no campaign: a card outlives the campaign that made it, an old card and a
# reissued one have none. Their counters are kept under campaign 0 (no campaign has that id).
CAMPAIGNLESS = 0
MEMBERS = "members"
REASON_PREFIX = "reason:"

_CASE = {m.value.removeprefix("case_"): m.value for m in Metric if m.value.startswith("case_")}
_NEW = {m.value.removeprefix("card_"): m.value for m in Metric if m.value.startswith("card_")}
# An old (2003) card: still with the member while it is theirs (in use, suspended, damaged); the states
# of its end named; anything else (lost, revoked) is "other".
OLD_KEYS = {
    "active": Metric.OLD_ACTIVE.value,
    "suspended": Metric.OLD_ACTIVE.value,
    "damaged": Metric.OLD_ACTIVE.value,
    "superseded": Metric.OLD_SUPERSEDED.value,
    "recovered": Metric.OLD_RECOVERED.value,
    "destroyed": Metric.OLD_DESTROYED.value,
}


def case_key(state: str) -> str:
    """The metric of a case in ``state`` (an ``exchange.workflow.State`` value)."""
    return _CASE[state]


def card_keys(kind: str, state: str, reissue: bool) -> tuple[str, ...]:
    """The metrics a card of ``kind`` in ``state`` counts in. A new card not made from a case (a reissue of
    a lost or damaged card) also counts in ``reissued``, in whatever state it is."""
    if kind == "old":
        return (OLD_KEYS.get(state, Metric.OLD_OTHER.value),)
    key = _NEW[state]
    return (key, Metric.REISSUED.value) if reissue else (key,)


def verdict_keys(eligible: bool, postponed: bool, codes: str | Iterable[str]) -> tuple[str, ...]:
    """The keys a stored verdict counts in: eligible, postponed (waits for reasons that resolve) or not
    eligible, and, when not eligible, each of its reason codes (``codes``: the stored comma-separated
    string, or the codes)."""
    if eligible:
        return (Metric.ELIGIBLE.value,)
    head = Metric.POSTPONED.value if postponed else Metric.NOT_ELIGIBLE.value
    listed = [c for c in codes.split(",") if c] if isinstance(codes, str) else list(codes)
    return (head, *(REASON_PREFIX + c for c in sorted(set(listed))))
