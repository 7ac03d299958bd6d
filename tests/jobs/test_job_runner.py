"""The job runner (``jobs.runner.job_run``) with a kind of its own, and the ``job`` and ``exchange``
commands over it: each chunk once, skipped when done, rolled back when it fails, progress per chunk."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django_tasks_db.models import DBTaskResult

from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.exchange.models import Eligibility
from partycard.jobs import kinds
from partycard.jobs.models import Job, JobChunk
from partycard.jobs.services import ChunkResult, Failure, job_create, job_run
from tests.exchange.conftest import card_holder

pytestmark = pytest.mark.django_db

KIND = "test.chunks"


@dataclass
class Chunks:
    """A kind of job whose chunk ``i`` writes one audit row (so a rolled-back chunk leaves none) and may
    fail; it remembers which chunks it was asked to do."""

    size: int = 3
    fail_at: int | None = None
    error: type[Exception] = RuntimeError
    failures_per_chunk: int = 0
    calls: list[int] = field(default_factory=list)

    def chunk_count(self, job: Job) -> int:
        return int(job.params["chunks"])

    def total(self, job: Job) -> int:
        return self.chunk_count(job) * self.size

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        self.calls.append(index)
        audit_record(actor=None, action="test.chunk", obj=job, changes={"index": index})
        if index == self.fail_at:
            raise self.error(f"chunk {index} broke")
        failures = [
            Failure(index * 100 + k, f"Lỗi {k}", f"problem {k}") for k in range(self.failures_per_chunk)
        ]
        return ChunkResult(succeeded=self.size - len(failures), failures=failures)


@pytest.fixture
def kind(monkeypatch: pytest.MonkeyPatch) -> Iterator[Chunks]:
    k = Chunks()
    monkeypatch.setitem(kinds._KINDS, KIND, k)
    yield k


def _job(chunks: int = 5) -> Job:
    return job_create(actor=None, kind=KIND, params={"chunks": chunks})


def _chunk_rows(job: Job) -> dict[int, int]:
    """How many audit rows each chunk index left."""
    rows: dict[int, int] = {}
    for e in AuditEvent.objects.filter(action="test.chunk", object_id=str(job.pk)):
        rows[e.changes["index"]] = rows.get(e.changes["index"], 0) + 1
    return rows


def test_every_chunk_runs_once_with_progress_after_each(kind: Chunks) -> None:
    job = _job(5)
    assert (job.status, job.chunk_count, job.total) == (Job.Status.QUEUED, 5, 15)
    seen: list[tuple[int, str]] = []
    done = job_run(job.pk, progress=lambda j: seen.append((j.chunks_done, j.status)))
    assert seen == [(n, Job.Status.RUNNING) for n in range(1, 6)]
    assert kind.calls == [0, 1, 2, 3, 4]
    assert (done.status, done.chunks_done, done.succeeded, done.failed, done.error) == (
        Job.Status.DONE,
        5,
        15,
        0,
        "",
    )
    assert done.started_at is not None and done.finished_at is not None and done.percent == 100
    assert sorted(JobChunk.objects.filter(job=job).values_list("index", flat=True)) == [0, 1, 2, 3, 4]
    assert _chunk_rows(job) == dict.fromkeys(range(5), 1)


def test_a_done_job_is_not_run_again(kind: Chunks) -> None:
    job = job_run(_job(3).pk)
    kind.calls.clear()
    again = job_run(job.pk, progress=lambda j: pytest.fail("no chunk should run"))
    assert kind.calls == [] and again.status == Job.Status.DONE and again.finished_at == job.finished_at
    assert _chunk_rows(job) == dict.fromkeys(range(3), 1)


def test_a_stopped_job_resumes_where_it_stopped(kind: Chunks) -> None:
    job = _job(5)
    part = job_run(job.pk, stop_after=2)
    assert (part.status, part.chunks_done, part.succeeded) == (Job.Status.RUNNING, 2, 6)
    assert part.finished_at is None
    job_run(job.pk, stop_after=0)  # stopping before any chunk changes nothing
    done = job_run(job.pk)
    assert kind.calls == [0, 1, 2, 3, 4]
    assert (done.status, done.chunks_done, done.succeeded) == (Job.Status.DONE, 5, 15)
    assert _chunk_rows(job) == dict.fromkeys(range(5), 1)


def test_a_chunk_whose_row_exists_is_skipped(kind: Chunks) -> None:
    job = _job(4)
    # Another runner committed chunk 2 before this one started.
    JobChunk.objects.create(job=job, index=2, succeeded=3, done_at=clock.now())
    Job.objects.filter(pk=job.pk).update(chunks_done=1, succeeded=3)
    done = job_run(job.pk)
    assert kind.calls == [0, 1, 3]
    assert (done.status, done.chunks_done, done.succeeded) == (Job.Status.DONE, 4, 12)


def test_a_chunk_another_runner_commits_first_rolls_back_here(kind: Chunks) -> None:
    """The race the unique (job, index) row settles: this runner did chunk 1's work, but another runner's
    row for chunk 1 committed first. This runner's work on it rolls back; the job still ends done."""
    job = _job(3)

    def other_runner_takes_chunk_1(current: Job) -> None:
        if current.chunks_done == 1:
            JobChunk.objects.create(job=job, index=1, succeeded=3, done_at=clock.now())
            Job.objects.filter(pk=job.pk).update(chunks_done=2, succeeded=6)

    done = job_run(job.pk, progress=other_runner_takes_chunk_1)
    assert kind.calls == [0, 1, 2]  # chunk 1 was attempted here …
    assert _chunk_rows(job) == {0: 1, 2: 1}  # … and its work rolled back
    assert (done.status, done.chunks_done, done.succeeded) == (Job.Status.DONE, 3, 9)


def test_a_failing_chunk_rolls_back_and_the_job_says_why(kind: Chunks) -> None:
    job = _job(4)
    kind.fail_at = 2
    with pytest.raises(RuntimeError, match="chunk 2 broke"):
        job_run(job.pk)
    failed = Job.objects.get(pk=job.pk)
    assert (failed.status, failed.chunks_done, failed.error) == (
        Job.Status.FAILED,
        2,
        "chunk 2: chunk 2 broke",
    )
    assert _chunk_rows(job) == {0: 1, 1: 1}  # chunk 2's work is gone with it
    kind.fail_at = None
    done = job_run(job.pk)
    assert (done.status, done.chunks_done, done.error) == (Job.Status.DONE, 4, "")
    assert kind.calls == [0, 1, 2, 2, 3]
    assert _chunk_rows(job) == dict.fromkeys(range(4), 1)


def test_an_integrity_error_of_the_chunk_s_own_work_fails_the_job(kind: Chunks) -> None:
    """Only a unique-row clash on the chunk's own ``JobChunk`` means "another runner did it"; a constraint
    the work itself broke (two proposals of one member racing) is an error, not a silent skip."""
    job = _job(3)
    kind.fail_at, kind.error = 1, IntegrityError
    with pytest.raises(IntegrityError):
        job_run(job.pk)
    failed = Job.objects.get(pk=job.pk)
    assert (failed.status, failed.chunks_done) == (Job.Status.FAILED, 1)
    assert failed.error == "chunk 1: chunk 1 broke"
    assert kind.calls == [0, 1]


# -- the commands ------------------------------------------------------------------------------------------


def _command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_job_run_shows_a_bar_and_finishes_a_stopped_job(kind: Chunks) -> None:
    job = _job(6)
    job_run(job.pk, stop_after=2)
    out, err = _command("job", "run", str(job.pk))
    assert "Resuming job" in err and "6/6" in err and f"job {job.pk}" in err
    assert f"Job #{job.pk} done: 18 ok, 0 failed." in out
    assert kind.calls == [0, 1, 2, 3, 4, 5]
    out, _ = _command("job", "run", str(job.pk))
    assert "already done" in out and kind.calls == [0, 1, 2, 3, 4, 5]
    # The bar can be turned off.
    _, err = _command("job", "run", str(_job(2).pk), "--no-progress")
    assert "2/2" not in err


def test_job_run_of_a_failing_job_says_how_to_resume(kind: Chunks) -> None:
    job = _job(3)
    kind.fail_at = 1
    with pytest.raises(CommandError, match="run it again to resume"):
        _command("job", "run", str(job.pk))
    assert Job.objects.get(pk=job.pk).status == Job.Status.FAILED
    with pytest.raises(CommandError, match="no job"):
        _command("job", "run", "999999")


def test_job_list_and_show_with_failures(kind: Chunks) -> None:
    kind.failures_per_chunk = 1
    job = job_run(_job(2).pk)
    other = _job(1)
    out, _ = _command("job", "list")
    lines = out.splitlines()
    assert lines[0].startswith(f"#{other.pk}\t{KIND}\tqueued") and lines[1].startswith(
        f"#{job.pk}\t{KIND}\tdone"
    )
    assert "2/2 chunks\t4 ok\t2 failed" in lines[1]
    out, _ = _command("job", "show", str(job.pk))
    assert "failures (2):" in out
    assert "  0\tproblem 0\tLỗi 0" in out and "  100\tproblem 0\tLỗi 0" in out
    assert "chunks=2" in out and "started by: system" in out
    with pytest.raises(CommandError):
        _command("job", "show", "999999")


def test_exchange_evaluate_runs_here_or_enqueues(
    campaign: Any, make_member: Any, django_capture_on_commit_callbacks: Any
) -> None:
    members = [
        card_holder(make_member, citizen_id=f"0010800{i:05d}", old_card_number=f"4000000{i}")
        for i in range(5)
    ]
    out, err = _command("exchange", "evaluate", "--campaign", campaign.code, "--chunk", "2")
    job = Job.objects.get(kind="exchange.evaluate")
    assert f"Evaluated 5 members for {campaign.code} (job #{job.pk})." in out
    assert f"{job.chunk_count}/{job.chunk_count}" in err and job.status == Job.Status.DONE
    assert Eligibility.objects.filter(campaign=campaign, eligible=True).count() == len(members)
    assert job.actor is None and AuditEvent.objects.filter(action="job.create").last().actor == "system"

    with django_capture_on_commit_callbacks(execute=True):
        out, _ = _command(
            "exchange",
            "evaluate",
            "--campaign",
            campaign.code,
            "--path",
            members[0].organisation.path,
            "--no-wait",
        )
    queued = Job.objects.exclude(pk=job.pk).get()
    assert f"Job #{queued.pk} enqueued: 5 members" in out and queued.status == Job.Status.QUEUED
    task = DBTaskResult.objects.get()
    assert task.task_path == "partycard.jobs.tasks.run_job" and task.args_kwargs["args"] == [queued.pk]

    with pytest.raises(CommandError, match="no campaign"):
        _command("exchange", "evaluate", "--campaign", "nope")
    with pytest.raises(CommandError, match="--chunk"):
        _command("exchange", "evaluate", "--campaign", campaign.code, "--chunk", "0")
