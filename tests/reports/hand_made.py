"""Progress figures made by hand, for the charts, documents and pages tests that need no database."""

from __future__ import annotations

import datetime as dt

from partycard.reports.progress import Metric, Progress

__all__ = ["progress"]


def progress(
    code: str = "HN",
    name: str = "Đảng bộ thành phố Hà Nội",
    *,
    members: int = 0,
    level: int = 1,
    reasons: dict[str, int] | None = None,
    on: dt.date | None = None,
    has_children: bool = True,
    **counts: int,
) -> Progress:
    """A Progress with every metric at 0 except ``counts`` (metric values as keyword names)."""
    unknown = set(counts) - {m.value for m in Metric}
    assert not unknown, f"not metrics: {unknown}"
    return Progress(
        code=code,
        name=name,
        level=level,
        path=f"TW.{code}.",
        members=members,
        counts={m.value: counts.get(m.value, 0) for m in Metric},
        reasons=reasons or {},
        on=on,
        has_children=has_children,
    )
