"""Who counts the exchange's cases and verdicts by organisation: an interface the exchange owns, that higher
apps register with (the progress report's counters, ``reports``; lower layers never import higher ones,
STYLE.md rule 13).

Every write that changes how many cases of a campaign are in a state at a cell (a proposal, a transition,
a case following its member to another cell) calls :func:`case_counts_changed`, and every write of stored
verdicts (the evaluation, a member moving cell) :func:`verdict_counts_changed`, once per chunk, with the
changes aggregated, in the writer's transaction: a handler that raises rolls the change back.

- case counts: ``(cell id, campaign id, state) → +n/-n``;
- verdict counts: ``(cell id, campaign id, eligible, postponed, codes) → +n/-n``, ``codes`` the stored
  comma-separated reason codes (``Eligibility.codes``).

Registered today: ``reports.count`` on both (``reports.tallies``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = [
    "CaseCount",
    "VerdictCount",
    "case_count_handler_register",
    "case_counts_changed",
    "verdict_count_handler_register",
    "verdict_counts_changed",
]

CaseCount = tuple[int, int, str]  # (cell id, campaign id, case state)
VerdictCount = tuple[int, int, bool, bool, str]  # (cell id, campaign id, eligible, postponed, codes)
Handler = Callable[..., None]  # (*, deltas: Mapping[…, int])

_CASES: dict[str, tuple[int, Handler]] = {}
_VERDICTS: dict[str, tuple[int, Handler]] = {}


def _call(table: dict[str, tuple[int, Handler]], deltas: Mapping[object, int]) -> None:
    live = {k: n for k, n in deltas.items() if n}
    if live:
        for _name, (_order, handler) in sorted(table.items(), key=lambda i: (i[1][0], i[0])):
            handler(deltas=live)


def case_count_handler_register(name: str, handler: Handler, *, order: int = 100) -> None:
    """Call ``handler(deltas=…)`` on every change of case counts (``name`` again replaces it)."""
    _CASES[name] = (order, handler)


def case_counts_changed(deltas: Mapping[CaseCount, int]) -> None:
    """Tell the registered handlers how the cases by (cell, campaign, state) changed."""
    _call(_CASES, deltas)  # type: ignore[arg-type]


def verdict_count_handler_register(name: str, handler: Handler, *, order: int = 100) -> None:
    """Call ``handler(deltas=…)`` on every change of stored verdicts (``name`` again replaces it)."""
    _VERDICTS[name] = (order, handler)


def verdict_counts_changed(deltas: Mapping[VerdictCount, int]) -> None:
    """Tell the registered handlers how the stored verdicts by (cell, campaign, verdict) changed."""
    _call(_VERDICTS, deltas)  # type: ignore[arg-type]
