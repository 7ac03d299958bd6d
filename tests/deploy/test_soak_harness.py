"""The soak's verdicts can fail (bench/soak_checks.py, used by bench/soak.py): the leak detector flags a
growing RSS series and passes a flat noisy one, and the error count fails on a 5xx, an unexpected status
and a wrong verify outcome. Unit-level: no server, no database."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from soak_checks import (
    MIB,
    ErrorCount,
    latency_summary,
    leak_verdict,
    least_squares_slope,
    percentile,
)

PERIOD = 3.0  # the soak's default sampling period, seconds


def series(
    seconds: float, *, base_mib: float, mib_per_10_min: float, noise_mib: float, seed: int = 7
) -> list[tuple[float, int]]:
    rng = random.Random(seed)
    points, t = [], 0.0
    while t <= seconds:
        mib = base_mib + mib_per_10_min * t / 600 + rng.uniform(-noise_mib, noise_mib)
        points.append((t, int(mib * MIB)))
        t += PERIOD
    return points


def test_the_slope_is_the_least_squares_one() -> None:
    assert least_squares_slope([(0, 1), (1, 3), (2, 5)]) == pytest.approx(2)
    assert least_squares_slope([(0, 5), (1, 5)]) == 0
    assert least_squares_slope([(3, 1)]) == 0


def test_a_steadily_growing_process_fails() -> None:
    # 20 MiB per 10 min (a leak of ~1.4 KiB per request at the soak's ~25 requests/s), with 2 MiB of noise.
    verdict = leak_verdict("worker", series(600, base_mib=120, mib_per_10_min=20, noise_mib=2), warmup_s=120)
    assert not verdict.ok
    assert verdict.slope_mib_per_10_min == pytest.approx(20, abs=2)
    assert verdict.rss_end_mib > verdict.rss_start_mib


def test_a_flat_noisy_process_passes() -> None:
    # Arenas and heap moving ±3 MiB around a flat 140 MiB: no trend.
    verdict = leak_verdict("worker", series(600, base_mib=140, mib_per_10_min=0, noise_mib=3), warmup_s=120)
    assert verdict.ok, verdict
    assert abs(verdict.slope_mib_per_10_min) < 2


def test_the_warm_up_is_discarded() -> None:
    # 60 MiB of growth in the first 60 s (imports, caches), flat afterwards: passes with the warm-up cut.
    samples = [(t, int((80 + min(t, 60)) * MIB)) for t in (i * PERIOD for i in range(200))]
    assert leak_verdict("worker", samples, warmup_s=90).ok
    assert not leak_verdict("worker", samples, warmup_s=0).ok


def test_a_process_with_too_few_samples_fails() -> None:
    # A process that died early (or a sampler that never ran) proves nothing.
    assert not leak_verdict("worker", [(t, 100 * MIB) for t in (0, 3, 6)], warmup_s=0).ok


def test_a_5xx_is_an_error_even_when_expected() -> None:
    errors = ErrorCount()
    assert errors.check("GET /dang-vien/", 200, 200)
    assert not errors.check("GET /dang-vien/", 502, 200)
    assert not errors.check("POST /api/v1/verify", 500, (200, 500))
    assert errors.total == 2
    assert errors.by_kind == {"GET /dang-vien/: HTTP 502": 1, "POST /api/v1/verify: HTTP 500": 1}


def test_an_unexpected_status_or_a_wrong_outcome_is_an_error() -> None:
    errors = ErrorCount()
    assert not errors.check("POST /dang-vien/xuat/", 200, 302)  # the job was not started
    assert not errors.check("POST /api/v1/verify", 200, 200, "outcome invalid (expected valid)")
    assert errors.check("POST /api/v1/verify", 422, 422)
    assert errors.total == 2
    assert "POST /dang-vien/xuat/: HTTP 200 (expected 302)" in errors.by_kind


def test_percentiles_and_the_latency_summary() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([], 99) == 0
    summary = latency_summary([v / 1000 for v in values], duration_s=10)
    assert summary["count"] == 100 and summary["per_s"] == 10
    assert (summary["p50_ms"], summary["p95_ms"], summary["p99_ms"], summary["max_ms"]) == (50, 95, 99, 100)
