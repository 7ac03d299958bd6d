"""The disk full during a roster export (issue 19, faults): the job stops with "disk full" named, keeps no
half-written file and records no result, the officer's page says so (not a 500), and once space is freed
the job resumes and makes its file exactly once.

The job files live on a tmpfs of their own, filled to the last byte at the moment the test picks (before
the first part, or when only the seal is left). The database is elsewhere and stays writable.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify
from partycard.jobs.models import Job, JobChunk, JobFile
from partycard.jobs.runner import job_run
from partycard.registry.models import Member
from tests.registry.test_export_jobs import MEMBERS, _citizen_ids, _officer, _start, roster  # noqa: F401
from tests.tiny_disk import disk_fill, tiny_disk

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_disk(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Exports of more than 3 members go to the worker in chunks of 2, their files on a 512 KiB tmpfs."""
    with tiny_disk(tmp_path / "tiny") as disk:
        settings.PARTYCARD = {
            **settings.PARTYCARD,
            "EXPORT_INLINE_MEMBERS": 3,
            "EXPORT_CHUNK_MEMBERS": 2,
            "JOB_FILES_DIR": disk / "job-files",
        }
        yield disk


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _stopped_on_a_full_disk(client: Client, job: Job, disk: Path) -> None:
    """What must hold once the job met the full disk, whichever chunk it was."""
    failed = Job.objects.get(pk=job.pk)
    assert failed.status == Job.Status.FAILED and failed.disk_full
    assert "disk full (ENOSPC)" in failed.error and str(disk) not in failed.error
    assert not JobFile.objects.filter(job=job).exists()  # no result recorded
    assert not AuditEvent.objects.filter(action="export").exists()
    assert not any(name.endswith(".tmp") for name in _files(disk)), _files(disk)  # no temporary left
    assert not (disk / "job-files" / f"job-{job.pk}.xlsx").exists()
    page = client.get(f"/tac-vu/{job.pk}/")
    assert page.status_code == 200
    assert 'id="job-disk-full"' in page.content.decode()  # the officer is told, in words
    progress = client.get(f"/tac-vu/{job.pk}/tien-do/")
    assert progress.status_code == 200 and 'id="job-disk-full"' in progress.content.decode()


def _resumes_once(client: Client, job: Job, filler: Path, members: list[Member]) -> None:
    filler.unlink()  # the operator frees space
    done = job_run(job.pk)
    assert (done.status, done.succeeded, done.error) == (Job.Status.DONE, MEMBERS, "")
    assert JobChunk.objects.filter(job=job).count() == job.chunk_count
    assert JobFile.objects.filter(job=job).count() == 1
    assert AuditEvent.objects.filter(action="export").count() == 1
    content = b"".join(client.get(f"/tac-vu/{job.pk}/tai-ve/").streaming_content)  # type: ignore[attr-defined]
    ids = _citizen_ids(content)
    assert sorted(ids) == sorted(m.citizen_id for m in members)  # every member once
    assert job_run(job.pk).status == Job.Status.DONE  # a second run changes nothing
    assert AuditEvent.objects.filter(action="export").count() == 1
    assert audit_verify().ok


def test_a_disk_full_before_the_first_part_stops_the_job_cleanly_and_it_resumes_once(
    tree: Any,
    roster: list[Member],  # noqa: F811 - the fixture imported above
    login: Any,
    small_disk: Path,
) -> None:
    client, job = _start(login, _officer("tinh", tree.hanoi), "HN")
    filler = disk_fill(small_disk)
    with pytest.raises(OSError, match="No space left"):
        job_run(job.pk)
    assert Job.objects.get(pk=job.pk).chunks_done == 0
    assert "chunk 0: disk full" in Job.objects.get(pk=job.pk).error
    _stopped_on_a_full_disk(client, job, small_disk)
    _resumes_once(client, job, filler, roster)


def test_a_disk_full_while_sealing_keeps_the_parts_and_records_no_file(
    tree: Any,
    roster: list[Member],  # noqa: F811 - the fixture imported above
    login: Any,
    small_disk: Path,
) -> None:
    client, job = _start(login, _officer("tinh", tree.hanoi), "HN")
    job_run(job.pk, stop_after=job.chunk_count - 1)  # every part written; only the seal is left
    parts = [name for name in _files(small_disk) if "/part-" in name]
    assert len(parts) == job.chunk_count - 1
    filler = disk_fill(small_disk)
    with pytest.raises(OSError, match="No space left"):
        job_run(job.pk)
    assert f"chunk {job.chunk_count - 1}: disk full" in Job.objects.get(pk=job.pk).error
    assert [name for name in _files(small_disk) if "/part-" in name] == parts  # the parts stay for the resume
    _stopped_on_a_full_disk(client, job, small_disk)
    _resumes_once(client, job, filler, roster)
