"""``partycard job list`` | ``show ID`` | ``run ID``: background jobs from the operator's shell.

``run`` does (or finishes) a job in this process with a progress bar over its chunks: after a worker was
killed, it does the chunks left and no other (``jobs.runner.job_run``: a chunk commits once, with its
row). It takes the job over at once, without waiting for the dead worker's lease to run out: the operator
says that worker is gone (were it not, it stops at its next chunk). The CLI acts as the operator, with no
scope: it sees every job.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.utils.timezone import localtime
from tqdm import tqdm

from partycard.jobs.models import Job
from partycard.jobs.services import job_run

__all__ = ["Command", "run_with_bar"]

LISTED = 50
FAILURES_SHOWN = 200


class _BarOutput:
    """tqdm's file: the command's stderr without the line ending ``OutputWrapper`` adds (the bar rewrites
    its line with carriage returns), so that ``call_command(stderr=…)`` captures it too."""

    def __init__(self, out: OutputWrapper) -> None:
        self._out = out

    def write(self, text: str) -> None:
        self._out.write(text, ending="")

    def flush(self) -> None:
        self._out.flush()


def run_with_bar(job: Job, *, stderr: OutputWrapper, progress: bool = True) -> Job:
    """Run or resume ``job`` here, a bar over its chunks on ``stderr``; return it as it ends.

    Raises:
        CommandError: a chunk failed (its work rolled back; run the job again to retry from there).
    """
    bar = tqdm(
        total=job.chunk_count,
        initial=job.chunks_done,
        unit=" chunks",
        desc=f"job {job.pk}",
        file=_BarOutput(stderr),  # tqdm needs only write and flush
        disable=not progress,
        dynamic_ncols=False,
        ncols=80,
    )

    def advance(current: Job) -> None:
        bar.update(current.chunks_done - bar.n)

    try:
        return job_run(job.pk, progress=advance, take_over=True)
    except Exception as e:
        raise CommandError(f"job {job.pk} stopped: {e} (run it again to resume)") from e
    finally:
        bar.close()


def _summary(job: Job) -> str:
    return (
        f"#{job.pk}\t{job.kind}\t{job.status}\t{job.chunks_done}/{job.chunk_count} chunks\t"
        f"{job.succeeded} ok\t{job.failed} failed\t{localtime(job.created_at):%d/%m/%Y %H:%M}"
    )


class Command(BaseCommand):
    help = "List background jobs, show one with its failures, or run (resume) one here."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help=f"the latest jobs (default {LISTED})")
        listing.add_argument("--limit", type=int, default=LISTED)
        show = sub.add_parser("show", help="a job's progress and counts, and each target that failed")
        show.add_argument("job_id", type=int)
        run = sub.add_parser("run", help="run or resume a job in this process (exactly once per chunk)")
        run.add_argument("job_id", type=int)
        run.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _job(self, job_id: int) -> Job:
        job = Job.objects.filter(pk=job_id).first()
        if job is None:
            raise CommandError(f"no job #{job_id}")
        return job

    def _list(self, options: dict[str, Any]) -> None:
        jobs = Job.objects.order_by("-created_at", "-pk")[: max(options["limit"], 1)]
        for job in jobs:
            self.stdout.write(_summary(job))

    def _show(self, options: dict[str, Any]) -> None:
        job = self._job(options["job_id"])
        self.stdout.write(_summary(job))
        self.stdout.write(f"parameters: {_params(job)}")
        self.stdout.write(f"items: {job.total}; started by: {job.actor or 'system'}")
        if job.started_at:
            self.stdout.write(f"started: {localtime(job.started_at):%d/%m/%Y %H:%M:%S}")
        if job.finished_at:
            self.stdout.write(f"finished: {localtime(job.finished_at):%d/%m/%Y %H:%M:%S}")
        if job.lease_owner and job.lease_expires_at:
            until = f"{localtime(job.lease_expires_at):%d/%m/%Y %H:%M:%S}"
            self.stdout.write(f"runner: {job.lease_owner} (lease until {until})")
        if job.error:
            self.stdout.write(self.style.ERROR(f"error: {job.error}"))
        failures = list(job.failures.order_by("target_id", "pk")[:FAILURES_SHOWN])
        if failures:
            self.stdout.write(f"failures ({job.failed}):")
        for f in failures:
            self.stdout.write(f"  {f.target_id}\t{f.message_en}\t{f.message_vi}")
        if job.failed > len(failures):
            self.stdout.write(f"  … and {job.failed - len(failures)} more (the job's page lists them all)")

    def _run(self, options: dict[str, Any]) -> None:
        job = self._job(options["job_id"])
        if job.status == Job.Status.DONE:
            self.stdout.write(f"Job #{job.pk} is already done: {job.succeeded} ok, {job.failed} failed.")
            return
        if job.chunks_done:
            self.stderr.write(f"Resuming job #{job.pk} at chunk {job.chunks_done + 1} of {job.chunk_count}.")
        job = run_with_bar(job, stderr=self.stderr, progress=not options["no_progress"])
        if job.status != Job.Status.DONE:  # another runner took it over, or still holds a chunk
            raise CommandError(
                f"job #{job.pk} is not finished ({job.chunks_done}/{job.chunk_count} chunks): "
                "another runner is still working on it"
            )
        self.stdout.write(self.style.SUCCESS(f"Job #{job.pk} done: {job.succeeded} ok, {job.failed} failed."))


def _params(job: Job) -> str:
    """The job's parameters, with a long target list shortened to its count."""
    shown = {
        k: (f"[{len(v)} ids]" if isinstance(v, list) and len(v) > 10 else v) for k, v in job.params.items()
    }
    return ", ".join(f"{k}={v}" for k, v in shown.items())
