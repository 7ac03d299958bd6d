"""The soak's verdicts, as pure functions: the memory-leak detector (least-squares slope of RSS samples),
latency percentiles and the error count. Kept apart from bench/soak.py (which starts servers) so that
tests/deploy/test_soak_harness.py can show, cheaply, that each of them can fail.

Why the leak bar is 10 MiB per 10 minutes per process (``LEAK_MIB_PER_10_MIN``): a granian worker or the
task worker sits at 80–150 MiB once warm. After warm-up (imports done, Django's template and URL caches
filled, the first export's openpyxl loaded, the connection open) nothing should keep growing, so the
slope of a healthy process is noise around zero: pymalloc arenas and glibc's heap move RSS by a few
hundred KiB to ~2 MiB either way, which, fitted over minutes of samples, projects to well under
10 MiB per 10 minutes. A leak of 1 KiB per request at the soak's ~25 requests/s is 25 KiB/s, i.e.
~15 MiB per 10 minutes, and fails; so does anything that would add ~1.4 GiB to a worker in a day of
the same traffic (10 MiB per 10 min), which is what a government data centre's operators would see as a
worker restarting or swapping by the evening of a national meeting day. The projection is only as good
as the window: over a 2-minute run a 2 MiB step weighs as much as a 10 MiB leak over 10 minutes, so a
short run can fail on noise where the 10-minute run would not (docs/performance.md, "Soak").
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "LEAK_MIB_PER_10_MIN",
    "ErrorCount",
    "LeakVerdict",
    "latency_summary",
    "leak_verdict",
    "least_squares_slope",
    "percentile",
]

MIB = 1024 * 1024
LEAK_MIB_PER_10_MIN = 10.0


def least_squares_slope(points: Sequence[tuple[float, float]]) -> float:
    """The slope of the least-squares line through ``(x, y)`` points (0 for fewer than two x values)."""
    if len(points) < 2:
        return 0.0
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


@dataclass(frozen=True)
class LeakVerdict:
    """One process's RSS over the soak: start and end (after warm-up), the fitted trend, and the verdict."""

    name: str
    samples: int
    rss_start_mib: float
    rss_end_mib: float
    rss_max_mib: float
    slope_mib_per_10_min: float
    threshold_mib_per_10_min: float
    ok: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "samples_after_warmup": self.samples,
            "rss_start_mib": round(self.rss_start_mib, 1),
            "rss_end_mib": round(self.rss_end_mib, 1),
            "rss_max_mib": round(self.rss_max_mib, 1),
            "slope_mib_per_10_min": round(self.slope_mib_per_10_min, 2),
            "threshold_mib_per_10_min": self.threshold_mib_per_10_min,
            "ok": self.ok,
        }


def leak_verdict(
    name: str,
    samples: Sequence[tuple[float, int]],
    *,
    warmup_s: float,
    threshold_mib_per_10_min: float = LEAK_MIB_PER_10_MIN,
    min_samples: int = 5,
) -> LeakVerdict:
    """Whether the RSS samples ``(seconds since start, bytes)`` of one process grow faster than the bar.

    The samples before ``warmup_s`` are discarded; the least-squares slope of the rest, projected to
    10 minutes, must not exceed ``threshold_mib_per_10_min``. Fewer than ``min_samples`` left is a failure
    (a process that died, or a sampler that did not run, proves nothing).
    """
    kept = [(t, rss / MIB) for t, rss in samples if t >= warmup_s]
    if len(kept) < min_samples:
        return LeakVerdict(name, len(kept), 0.0, 0.0, 0.0, 0.0, threshold_mib_per_10_min, False)
    slope = least_squares_slope(kept) * 600
    return LeakVerdict(
        name=name,
        samples=len(kept),
        rss_start_mib=kept[0][1],
        rss_end_mib=kept[-1][1],
        rss_max_mib=max(v for _, v in kept),
        slope_mib_per_10_min=slope,
        threshold_mib_per_10_min=threshold_mib_per_10_min,
        ok=slope <= threshold_mib_per_10_min,
    )


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (0–100) of ``values``; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * p // 100)))
    return ordered[int(rank) - 1]


def latency_summary(seconds: Sequence[float], duration_s: float) -> dict[str, Any]:
    """Count, throughput and p50/p95/p99/max in milliseconds of one route's latencies."""
    ms = [s * 1000 for s in seconds]
    return {
        "count": len(ms),
        "per_s": round(len(ms) / duration_s, 2) if duration_s > 0 else 0.0,
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else 0.0,
    }


@dataclass
class ErrorCount:
    """Every answer that is not the expected one, by route and kind; the soak fails on any.

    A 5xx is always an error, whatever was expected; so is any other status than the expected one, and an
    answer whose body fails its check (a verify outcome other than the expected one, a job that did not
    finish, a download that is not a file).
    """

    by_kind: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    max_examples: int = 50

    def check(
        self, route: str, status: int, expected: int | Sequence[int], problem: str | None = None
    ) -> bool:
        """Record the answer; True when it was the expected one. ``problem``: what the body check found."""
        wanted = (expected,) if isinstance(expected, int) else tuple(expected)
        if status >= 500:
            kind = f"{route}: HTTP {status}"
        elif status not in wanted:
            kind = f"{route}: HTTP {status} (expected {'/'.join(map(str, wanted))})"
        elif problem:
            kind = f"{route}: {problem}"
        else:
            return True
        self.add(kind)
        return False

    def add(self, kind: str, detail: str = "") -> None:
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if len(self.examples) < self.max_examples:
            self.examples.append(f"{kind} {detail}".strip())

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def merge(self, other: dict[str, int]) -> None:
        for kind, n in other.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n
