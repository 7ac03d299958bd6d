"""The country check killed mid-run (a real ``SIGKILL`` of a ``partycard job run`` process) and resumed:
"resumes after a kill without re-asking what it already has" (issue 17). The stand-in counts every ID it
answered; after the resume each member was asked exactly once and has exactly one result. PostgreSQL only:
the runner process reaches the test database through its URL (tests/job_runner.py)."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from django.db.models import Count

from partycard.jobs.models import Job, JobChunk
from partycard.population.models import CheckResult, DataTask, TaskStatus
from partycard.population.services import check_start
from tests.job_runner import job_runner, kill_after_chunks
from tests.population.conftest import members_in, person_of

CELLS_MEMBERS = 40  # per cell, three cells: 120 members, chunks of 20 → 6 ranges and the seal


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_check_killed_mid_run_resumes_and_asks_no_member_twice(
    tree: Any, make_member: Any, serve: Any, settings: Any
) -> None:
    members = members_in(make_member, [tree.cell_a, tree.cell_b, tree.hue_cell], CELLS_MEMBERS)
    people: list[Any] = [person_of(m) for m in members]
    people[7] = None  # one not found, so tasks are raised on both sides of the kill
    people[100] = None
    standin = serve(people)
    api = settings.PARTYCARD["POPULATION_API"]
    settings.PARTYCARD = {**settings.PARTYCARD, "POPULATION_API": {**api, "chunk": 20, "batch": 7}}
    run = check_start(actor=None, root=tree.centre, enqueue=False)
    assert run.job is not None
    job = run.job
    assert job.chunk_count == 7

    env = {"PARTYCARD_POPULATION_URL": standin.url}
    runner = job_runner(job, pause="0.5", env=env)  # half a second between chunks: killed between them
    kill_after_chunks(job, runner, chunks=2)
    assert runner.returncode == -signal.SIGKILL

    partial = Job.objects.get(pk=job.pk)
    assert partial.status == Job.Status.RUNNING and 2 <= partial.chunks_done < partial.chunk_count
    had = set(CheckResult.objects.filter(run=run).values_list("member_id", flat=True))
    assert len(had) == 20 * partial.chunks_done  # whole chunks only
    before = standin.stats(ids=True)["asked"]
    assert set(before.values()) == {1}

    resumed = job_runner(job, pause="0", env=env)
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert f"Resuming job #{job.pk} at chunk {partial.chunks_done + 1} of 7." in err

    stats = standin.stats(ids=True)
    assert stats["repeated"] == []  # no member asked twice …
    assert stats["asked"] == {m.citizen_id: 1 for m in members}  # … and every one asked
    by_member = CheckResult.objects.filter(run=run).values("member_id").annotate(n=Count("id"))
    assert len(by_member) == len(members) and {r["n"] for r in by_member} == {1}  # one result each
    assert JobChunk.objects.filter(job=job).count() == 7
    assert set(DataTask.objects.filter(status=TaskStatus.OPEN).values_list("member_id", flat=True)) == {
        members[7].pk,
        members[100].pk,
    }
    run.refresh_from_db()
    assert (run.checked, run.differed, run.finished_at is not None) == (len(members), 2, True)
