"""``partycard seed`` against the database: counts, refusal, and resume without duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Sum

from partycard.core.errors import DomainError, ErrorCode
from partycard.registry import services
from partycard.registry.choices import ACTIVE_STATUSES
from partycard.registry.models import Member, Organisation, SeedRun
from partycard.registry.seeding.loader import make_plan, seed_registry
from partycard.registry.seeding.people import COLUMNS, chunk_rows
from partycard.registry.seeding.tree import build_tree

pytestmark = pytest.mark.django_db


class Crash(Exception):
    pass


def expected_rows(members: int, seed: int) -> list[tuple[Any, ...]]:
    plan = make_plan(build_tree(members, seed), seed, "x")
    cols = [COLUMNS.index(c) for c in ("id", "organisation_id", "full_name", "citizen_id", "date_of_birth")]
    return [
        tuple(str(r[i]) if r[i] is not None else None for i in cols) for r in chunk_rows(plan, 1, members)
    ]


def stored_rows() -> list[tuple[Any, ...]]:
    return [
        (str(i), str(o), n, c, d.isoformat())
        for i, o, n, c, d in Member.objects.order_by("id").values_list(
            "id", "organisation_id", "full_name", "citizen_id", "date_of_birth"
        )
    ]


def test_seed_fills_the_registry_and_counters(is_postgres: bool) -> None:
    report = seed_registry(members=3000, seed=5, chunk_size=1000, workers=0, progress=False)
    assert Member.objects.count() == 3000 == report.members
    assert Organisation.objects.count() == report.organisations == len(build_tree(3000, 5).orgs)
    active = Member.objects.filter(status__in=ACTIVE_STATUSES).count()
    assert Organisation.objects.aggregate(n=Sum("member_count"))["n"] == active
    assert services.organisations_recount() == 0
    assert stored_rows() == expected_rows(3000, 5)
    # Sequences continue after the seeded ids: the next organisation gets a fresh id.
    org = services.organisation_create(
        actor=None, code="NEW-1", name="Mới", level=1, parent=Organisation.objects.get(code="TW")
    )
    assert org.pk > report.organisations


def test_second_run_refuses() -> None:
    seed_registry(members=500, seed=1, workers=0, progress=False)
    with pytest.raises(DomainError) as e:
        seed_registry(members=500, seed=1, workers=0, progress=False)
    assert e.value.code == ErrorCode.ALREADY_SEEDED
    assert Member.objects.count() == 500


def test_refuses_a_registry_it_did_not_make(tree) -> None:
    with pytest.raises(DomainError) as e:
        seed_registry(members=500, seed=1, workers=0, progress=False)
    assert e.value.code == ErrorCode.CONFLICT
    assert not SeedRun.objects.exists()


def test_resumes_after_a_crash_without_duplicates(is_postgres: bool) -> None:
    def crash_after_two(done: int) -> None:
        if done == 2:
            raise Crash

    with pytest.raises(Crash):
        seed_registry(
            members=2500, seed=9, chunk_size=500, workers=0, progress=False, after_chunk=crash_after_two
        )
    assert Member.objects.count() == 1000
    assert SeedRun.objects.get().chunks_done == 2
    with pytest.raises(DomainError):  # a different seed must not mix with the unfinished one
        seed_registry(members=2500, seed=10, chunk_size=500, workers=0, progress=False)
    with pytest.raises(DomainError) as e:  # another chunk size would misnumber the chunks
        seed_registry(members=2500, seed=9, chunk_size=400, workers=0, progress=False)
    assert e.value.field == "chunk_size" and Member.objects.count() == 1000
    report = seed_registry(members=2500, seed=9, chunk_size=500, workers=0, progress=False)
    assert report.resumed_from_chunk == 2
    assert Member.objects.count() == 2500
    assert not Member.objects.values("id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert stored_rows() == expected_rows(2500, 9)
    if is_postgres:  # the indexes dropped for the load are back
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'registry_member'")
            names = {r[0] for r in cursor.fetchall()}
        assert {
            "registry_member_name_trgm",
            "registry_member_citizen_id_unique",
            "registry_member_org_name",
        } <= names


@pytest.mark.postgres
def test_worker_process_generates_the_same_rows() -> None:
    seed_registry(members=4000, seed=2, chunk_size=1000, workers=1, progress=False)
    assert stored_rows() == expected_rows(4000, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killed_seed_resumes_exactly_once(tmp_path: Any) -> None:
    """SIGKILL a real ``partycard seed`` mid-way, run it again: every member exactly once."""
    s = connection.settings_dict
    url = f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "partycard.settings.dev"}
    cmd = [
        sys.executable,
        "-m",
        "partycard.cli",
        "seed",
        "--members",
        "200000",
        "--chunk-size",
        "10000",
        "--seed",
        "4",
        "--no-progress",
    ]
    # Its own process group: the kill takes the seed's generator workers too, as a machine's crash would,
    # and leaves no orphan running after the test.
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = SeedRun.objects.first()
        if run is not None and run.chunks_done >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    run = SeedRun.objects.get()
    assert run.phase == "members" and 3 <= run.chunks_done < 20
    assert Member.objects.count() == run.chunks_done * 10_000
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "resumed at chunk" in done.stdout
    assert Member.objects.count() == 200_000
    assert Member.objects.order_by("-id").values_list("id", flat=True).first() == 200_000
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode != 0 and "200.000" in again.stderr  # refused, in Vietnamese (the UI language)
