"""A bulk transition job interrupted and resumed moves every case exactly once.

Three interruptions: a deliberate stop between chunks, a chunk that fails half-way (its transaction rolls
back the cases it had moved), and — on PostgreSQL — a real ``SIGKILL`` of a ``partycard job run`` process
in the middle of the job. Each time the job is run again to the end, and every case has exactly one event
and one audit row of the transition, every chunk one row, and the audit chain still verifies.
"""

from __future__ import annotations

import signal
from typing import Any

import pytest

from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify
from partycard.exchange.jobs import start_transition
from partycard.exchange.models import Campaign, Case, CaseEvent
from partycard.exchange.services import cases_propose
from partycard.exchange.workflow import State, Transition
from partycard.jobs.models import Job, JobChunk
from partycard.jobs.services import ChunkResult, job_run, kind_of
from tests.exchange.conftest import card_holder
from tests.job_runner import job_runner, kill_after_chunks

CASES = 60


def _proposed_cases(officers: Any, campaign: Campaign, make_member: Any) -> list[int]:
    members = [
        card_holder(make_member, citizen_id=f"0010801{i:05d}", old_card_number=f"5{i:07d}")
        for i in range(CASES)
    ]
    outcome = cases_propose(actor=officers.cell, campaign=campaign, member_ids=[m.pk for m in members])
    assert len(outcome.succeeded) == CASES
    return list(Case.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True))


def _confirm_job(officers: Any, case_ids: list[int], chunk: int) -> Job:
    return start_transition(
        actor=officers.grassroots, transition=Transition.CONFIRM, targets=case_ids, chunk=chunk, enqueue=False
    )


def _confirmed(case_ids: list[int]) -> int:
    return Case.objects.filter(pk__in=case_ids, state=State.CONFIRMED).count()


def _assert_each_case_moved_exactly_once(job: Job, case_ids: list[int]) -> None:
    job.refresh_from_db()
    assert (job.status, job.chunks_done, job.succeeded, job.failed) == (
        Job.Status.DONE,
        job.chunk_count,
        len(case_ids),
        0,
    )
    assert JobChunk.objects.filter(job=job).count() == job.chunk_count
    assert sorted(JobChunk.objects.filter(job=job).values_list("index", flat=True)) == list(
        range(job.chunk_count)
    )
    assert _confirmed(case_ids) == len(case_ids)
    events = list(CaseEvent.objects.filter(transition=Transition.CONFIRM).values_list("case_id", "job_id"))
    assert sorted(c for c, _ in events) == sorted(case_ids)  # one event per case, no more
    assert {j for _, j in events} == {job.pk}
    audited = list(
        AuditEvent.objects.filter(action="exchange.confirm", object_type="exchange.case").values_list(
            "object_id", flat=True
        )
    )
    assert sorted(audited) == sorted(str(pk) for pk in case_ids)  # one audit row per case, no more
    assert audit_verify().ok


@pytest.mark.django_db
def test_a_stopped_then_failing_job_finishes_each_case_once(
    officers: Any, campaign: Campaign, make_member: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_ids = _proposed_cases(officers, campaign, make_member)
    job = _confirm_job(officers, case_ids, chunk=7)
    assert job.chunk_count == 9  # 60 cases in chunks of 7

    part = job_run(job.pk, stop_after=3)
    assert (part.status, part.chunks_done, part.succeeded) == (Job.Status.RUNNING, 3, 21)
    assert _confirmed(case_ids) == 21

    # Chunk 3 moves its cases, then its worker fails before the chunk commits: all of it rolls back.
    kind = kind_of(job)
    run_chunk = kind.run_chunk
    moved_before_the_failure: list[int] = []

    def fails_half_way(job: Job, index: int) -> ChunkResult:
        run_chunk(job, index)
        moved_before_the_failure.append(_confirmed(case_ids))
        raise RuntimeError("the worker died mid-chunk")

    with monkeypatch.context() as patch:
        patch.setattr(kind, "run_chunk", fails_half_way)
        with pytest.raises(RuntimeError, match="died mid-chunk"):
            job_run(job.pk)
    assert moved_before_the_failure == [28]  # chunk 3's seven cases had moved …
    assert _confirmed(case_ids) == 21  # … and are back where they were
    failed = Job.objects.get(pk=job.pk)
    assert (failed.status, failed.chunks_done, failed.succeeded) == (Job.Status.FAILED, 3, 21)
    assert failed.error == "chunk 3: the worker died mid-chunk"

    done = job_run(job.pk)
    assert done.error == ""
    _assert_each_case_moved_exactly_once(job, case_ids)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_runner_killed_mid_job_is_resumed_and_each_case_moves_once(
    officers: Any, campaign: Campaign, make_member: Any
) -> None:
    """SIGKILL, not a polite stop: the runner's open chunk dies with its connection and rolls back."""
    case_ids = _proposed_cases(officers, campaign, make_member)
    job = _confirm_job(officers, case_ids, chunk=5)
    assert job.chunk_count == 12

    runner = job_runner(job, pause="0.2")  # 0.2 s between chunks: time to kill it half-way
    kill_after_chunks(job, runner)
    assert runner.returncode == -signal.SIGKILL

    partial = Job.objects.get(pk=job.pk)
    assert partial.status == Job.Status.RUNNING  # as a dead worker leaves it
    assert 2 <= partial.chunks_done < partial.chunk_count
    assert JobChunk.objects.filter(job=job).count() == partial.chunks_done
    assert _confirmed(case_ids) == 5 * partial.chunks_done  # whole chunks only: the open one rolled back

    resumed = job_runner(job, pause="0")
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert f"Resuming job #{job.pk} at chunk {partial.chunks_done + 1} of 12." in err
    assert f"Job #{job.pk} done: {CASES} ok, 0 failed." in out
    _assert_each_case_moved_exactly_once(job, case_ids)
