"""One verdict for every way a party card is checked: valid, invalid (every reason), or cannot tell.

A chip read, and later a QR code or an SD-JWT presentation, all end in a :class:`Verdict`. Every check
runs and adds its :class:`Reason`; nothing stops at the first failure, so an officer sees at once that
a card is, say, both revoked and cloned. The outcome follows from the reasons' kinds alone:

- any ``INVALID`` reason → invalid (the card must be refused);
- else any ``CANNOT_TELL`` reason → cannot tell (stale trust data, a signer not yet on the list: the
  card may be good, the verifier cannot prove it; refresh and check again);
- else valid (``WARNING`` reasons are shown but change nothing).

Holder data travels in the verdict but callers show it after the outcome (STYLE: no holder data before
the verdict). Pure: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

__all__ = ["STALE_CODES", "Kind", "Outcome", "Reason", "Verdict", "verdict_of"]


class Outcome(StrEnum):
    """What the verifier concludes."""

    VALID = "valid"
    INVALID = "invalid"
    CANNOT_TELL = "cannot_tell"


class Kind(StrEnum):
    """How much one reason weighs."""

    INVALID = "invalid"
    CANNOT_TELL = "cannot_tell"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding: a stable ``code`` (what tests and logs match on) and a sentence in English and
    Vietnamese for people."""

    code: str
    kind: Kind
    message_en: str
    message_vi: str


#: Reason codes that say the verifier's own data is out of date (not that the card is bad).
STALE_CODES = frozenset({"trust_list_stale", "status_list_stale"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome, every reason behind it, the holder data as read (trusted only if valid), and the
    time the verifier judged at."""

    outcome: Outcome
    reasons: tuple[Reason, ...]
    holder: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    at: datetime | None = None

    @property
    def ok(self) -> bool:
        """Valid: the only outcome on which a card may be accepted."""
        return self.outcome is Outcome.VALID

    @property
    def stale(self) -> bool:
        """Whether the verifier's trust or status data was out of date (refresh, then check again)."""
        return any(r.code in STALE_CODES for r in self.reasons)

    @property
    def codes(self) -> tuple[str, ...]:
        """The reasons' codes in the order they were found."""
        return tuple(r.code for r in self.reasons)


def verdict_of(
    reasons: Sequence[Reason], holder: Mapping[str, str] | None = None, at: datetime | None = None
) -> Verdict:
    """The verdict that ``reasons`` add up to (module docstring), carrying ``holder`` read-only."""
    kinds = {r.kind for r in reasons}
    if Kind.INVALID in kinds:
        outcome = Outcome.INVALID
    elif Kind.CANNOT_TELL in kinds:
        outcome = Outcome.CANNOT_TELL
    else:
        outcome = Outcome.VALID
    return Verdict(
        outcome=outcome, reasons=tuple(reasons), holder=MappingProxyType(dict(holder or {})), at=at
    )
