"""docs/exchange.md's transition table says what workflow.TRANSITIONS does: the same transitions, the
same sources and targets."""

from __future__ import annotations

import re
from pathlib import Path

from partycard.exchange.workflow import TRANSITIONS, State, Transition

DOC = Path(__file__).resolve().parents[2] / "docs" / "exchange.md"


def _rows() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in {t.value for t in Transition}:
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def test_the_documented_table_is_the_state_machine() -> None:
    rows = _rows()
    assert set(rows) == {t.value for t in TRANSITIONS}
    for transition, spec in TRANSITIONS.items():
        sources, target = rows[transition.value]
        if spec.target is not None:
            assert target == spec.target.value, transition
        named = set(re.findall(r"[a-z_]+", sources)) & {s.value for s in State}
        if None not in spec.sources and not sources.startswith("any"):
            assert named == {s.value for s in spec.sources if s is not None}, transition
