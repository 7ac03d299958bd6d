"""The background jobs' figures for Prometheus, read from the job tables at each scrape (one aggregated
query, ``selectors.job_stats``), registered with ``ops.metrics`` when the app is ready."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric

from partycard.jobs.models import Job
from partycard.jobs.selectors import job_stats

__all__ = ["jobs_collect"]


def jobs_collect() -> Iterable[Metric]:
    """``partycard_jobs{kind,status}`` (how many), the items of the running jobs (total, succeeded,
    failed: their progress) and ``partycard_job_item_failures{kind}`` (items that failed, every job)."""
    jobs = GaugeMetricFamily(
        "partycard_jobs", "Background jobs by kind and status.", labels=["kind", "status"]
    )
    running = GaugeMetricFamily(
        "partycard_jobs_running_items",
        "Items of the running jobs: total, and so far succeeded and failed (their progress).",
        labels=["kind", "state"],
    )
    failures: dict[str, int] = defaultdict(int)
    progress: dict[str, dict[str, int]] = defaultdict(lambda: {"total": 0, "succeeded": 0, "failed": 0})
    for row in job_stats():
        kind = row["kind"]
        jobs.add_metric([kind, row["status"]], row["jobs"])
        failures[kind] += row["failed"] or 0
        if row["status"] == Job.Status.RUNNING:
            progress[kind]["total"] += row["items"] or 0
            progress[kind]["succeeded"] += row["succeeded"] or 0
            progress[kind]["failed"] += row["failed"] or 0
    for kind, states in sorted(progress.items()):
        for state, value in states.items():
            running.add_metric([kind, state], value)
    failed = GaugeMetricFamily(
        "partycard_job_item_failures",
        "Items (cases, cards, members) that failed in the background jobs still on record, by kind.",
        labels=["kind"],
    )
    for kind, value in sorted(failures.items()):
        failed.add_metric([kind], value)
    return [jobs, running, failed]
