"""Worker heartbeats (ops/services.py): one row per worker, moved on each beat, silent ones pruned."""

from __future__ import annotations

import datetime as dt

import pytest

from partycard.core import clock
from partycard.ops.models import WorkerHeartbeat
from partycard.ops.selectors import heartbeat_latest
from partycard.ops.services import heartbeat_beat, heartbeat_end

KEEP = dt.timedelta(hours=1)


def _beat(worker: str, at: dt.datetime) -> WorkerHeartbeat:
    return heartbeat_beat(worker=worker, host="web-1", pid=42, backend="rq", at=at, keep=KEEP)


@pytest.mark.django_db
def test_a_beat_makes_one_row_per_worker_and_moves_it() -> None:
    now = clock.now()
    _beat("web-1:42:aa", now - dt.timedelta(seconds=30))
    _beat("web-1:42:aa", now)
    _beat("web-2:7:bb", now - dt.timedelta(seconds=10))
    assert WorkerHeartbeat.objects.count() == 2
    row = WorkerHeartbeat.objects.get(worker="web-1:42:aa")
    assert (row.beat_at, row.started_at, row.backend) == (now, now - dt.timedelta(seconds=30), "rq")
    assert heartbeat_latest() == now


@pytest.mark.django_db
def test_a_worker_silent_longer_than_keep_is_pruned_by_the_next_beat() -> None:
    now = clock.now()
    _beat("gone:1:aa", now - KEEP - dt.timedelta(seconds=1))
    _beat("quiet:2:bb", now - KEEP + dt.timedelta(seconds=5))
    _beat("alive:3:cc", now)
    assert set(WorkerHeartbeat.objects.values_list("worker", flat=True)) == {"quiet:2:bb", "alive:3:cc"}


@pytest.mark.django_db
def test_a_worker_that_stops_removes_its_row() -> None:
    _beat("w:1:aa", clock.now())
    heartbeat_end(worker="w:1:aa")
    assert heartbeat_latest() is None
