"""Prometheus metrics (prometheus-client): the instruments the code increments, and the scrape that
gathers them with the figures read from the database and files at scrape time.

Two kinds of metric:

* **instruments**, changed where things happen: the request latency histogram (``ops.middleware``) and the
  verification verdicts counter (``verdict_count``, called where a verdict is produced). Under granian's
  several worker processes each process counts its own; with ``PROMETHEUS_MULTIPROC_DIR`` set (before the
  process starts: prometheus-client chooses its storage on import) each process writes its values to
  files in that directory and the scrape adds them up (prometheus-client's multiprocess mode). The
  directory must be emptied when the service starts (docs/observability.md).
* **scrape-time figures**, read when Prometheus asks, from any process: the audit checkpoint's age, the
  youngest worker heartbeat's age, the trust list's time to its next update (here), and the background
  jobs by kind and status (``jobs.metrics``, which registers itself with ``scrape_collector_register``:
  the jobs app sits above this one, STYLE rule 13).

Labels are bounded: a route is the URL pattern (``dang-vien/<int:pk>/``), never the path with its ids.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as _generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector

from partycard.audit.checkpoint import Checkpoint, checkpoint_path
from partycard.core import clock
from partycard.core.signing import SigningUnavailable, trust_material
from partycard.ops.selectors import heartbeat_latest
from partycard.verify.verdict import Verdict

__all__ = [
    "CONTENT_TYPE",
    "REQUEST_LATENCY",
    "VERDICTS",
    "checkpoint_last_at",
    "metrics_text",
    "scrape_collector_register",
    "verdict_count",
]

logger = logging.getLogger(__name__)

# The text format every Prometheus reads (2.x and 3.x, and the other scrapers): what generate_latest writes.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# Buckets around the targets: the verify endpoint's p99 < 20 ms (issue 19), pages in a few hundred ms.
REQUEST_LATENCY = Histogram(
    "partycard_http_request_duration_seconds",
    "Time from the first middleware to the response, by URL pattern, method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

VERDICTS = Counter(
    "partycard_verifications",
    "Verification verdicts by outcome (valid, invalid, cannot_tell) and what was shown (qr, sd_jwt, chip).",
    ["outcome", "channel"],
)


def verdict_count(verdict: Verdict, *, channel: str) -> None:
    """Count one verdict (a counter increment: cheap enough for the verify endpoint's path)."""
    VERDICTS.labels(outcome=verdict.outcome.value, channel=channel).inc()


Collector = Callable[[], Iterable[Metric]]

_collectors: dict[str, Collector] = {}
_collectors_lock = threading.Lock()


def scrape_collector_register(name: str, collect: Collector) -> None:
    """Add ``collect`` to every scrape under ``name`` (again with the same name: replaced). A collector
    that raises costs only its own figures: the scrape goes on and says so in ``partycard_scrape_ok``."""
    with _collectors_lock:
        _collectors[name] = collect


def checkpoint_last_at(path: Path) -> dt.datetime | None:
    """The time of the last audit checkpoint in ``path`` (read from the file's end, not verified: this is
    a freshness figure, ``partycard audit verify`` checks signatures), or None if there is none."""
    try:
        with path.open("rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - 4096))
            tail = file.read()
    except FileNotFoundError:
        return None
    for line in reversed(tail.splitlines()):
        if line.strip():
            try:
                return Checkpoint.from_line(line.decode("utf-8")).at
            except (ValueError, KeyError, TypeError):
                return None  # a damaged last line: as good as no checkpoint
    return None


def _age(at: dt.datetime | None, now: dt.datetime) -> float:
    return math.inf if at is None else max(0.0, (now - at).total_seconds())


def _ops_figures() -> Iterable[Metric]:
    """The audit checkpoint's age, the youngest heartbeat's age and the trust list's time to its update."""
    now = clock.now()
    checkpoint = GaugeMetricFamily(
        "partycard_audit_checkpoint_age_seconds",
        "Seconds since the last signed audit checkpoint (+Inf: none).",
    )
    checkpoint.add_metric([], _age(checkpoint_last_at(checkpoint_path()), now))
    yield checkpoint
    heartbeat = GaugeMetricFamily(
        "partycard_worker_heartbeat_age_seconds",
        "Seconds since the most recent heartbeat of any background worker (+Inf: none).",
    )
    heartbeat.add_metric([], _age(heartbeat_latest(), now))
    yield heartbeat
    try:
        trust = trust_material(at=now).trust
    except SigningUnavailable:
        return  # no trust list on this server: no figure (readiness says why)
    next_update = GaugeMetricFamily(
        "partycard_trust_list_next_update_seconds",
        "Seconds until the published trust list's next update (negative: stale).",
    )
    next_update.add_metric([], (trust.next_update - now).total_seconds())
    yield next_update


scrape_collector_register("ops", _ops_figures)


class _ScrapeTime:
    """The registered collectors, each run on its own so that one failing leaves the others' figures."""

    def collect(self) -> Iterable[Metric]:
        with _collectors_lock:
            collectors = list(_collectors.items())
        ok = GaugeMetricFamily(
            "partycard_scrape_ok", "1 if the collector's figures are in this scrape.", labels=["collector"]
        )
        for name, collect in collectors:
            try:
                metrics = list(collect())
            except Exception:
                logger.exception("metrics collector %s failed", name)
                ok.add_metric([name], 0)
                continue
            ok.add_metric([name], 1)
            yield from metrics
        yield ok


def metrics_text(*, multiproc_dir: str | None = None) -> bytes:
    """The Prometheus text exposition of every metric.

    Args:
        multiproc_dir: the multiprocess directory; by default ``PROMETHEUS_MULTIPROC_DIR``. With one, the
            instruments are the sum over every process that wrote there; without, this process's own (with
            its CPU, memory and garbage collector figures).
    """
    directory = multiproc_dir if multiproc_dir is not None else os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    registry = CollectorRegistry()
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(REGISTRY)  # a registry is a collector too (its collect())
    registry.register(_ScrapeTime())
    return _generate_latest(registry)
