"""The web import (registry/views/importing.py) at its edges (issue 12): every bad file is a Vietnamese
message on the page (never a 500), a refused upload does not stay in ``VAR_DIR/uploads``, and a large file
is checked and written by background jobs (registry/jobs.py), with its problems and progress on the job
page."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from partycard.accounts.models import Role, User
from partycard.jobs.models import Job
from partycard.jobs.services import job_run
from partycard.registry.choices import Religion
from partycard.registry.models import Member
from partycard.registry.roster import COLUMNS
from tests.registry.test_import_export import HEADER, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def uploads(settings, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path / "uploads"


@pytest.fixture
def officer(tree) -> User:
    return User.objects.create_user(
        "tinh", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )


@pytest.fixture
def signed_in(client: Client, officer: User, login: Any) -> Client:
    login(client, officer)
    return client


def _csv(*lines: str, header: str = HEADER, name: str = "danh-sach.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join([header, *lines]) + "\n").encode())


def _post(client: Client, upload: SimpleUploadedFile) -> Any:
    return client.post("/nhap-du-lieu/", {"file": upload})


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Any:
    """``run(job_id)``: what the django-tasks-db worker does, with the callbacks the commit would run."""

    def do(job_id: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            job_run(job_id)

    return do


def _leftovers(uploads: Path) -> list[Path]:
    return sorted(uploads.iterdir()) if uploads.exists() else []


def _truncated_xlsx(tmp_path: Path) -> bytes:
    path = tmp_path / "w.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>" * 200)
        archive.writestr("xl/workbook.xml", "<workbook/>" * 200)
    data = path.read_bytes()
    return data[: len(data) // 2]


BAD_FILES = {
    "garbage": lambda tmp: SimpleUploadedFile("a.xlsx", b"PK\x03\x04 not a zip at all" * 50),
    "truncated": lambda tmp: SimpleUploadedFile("b.xlsx", _truncated_xlsx(tmp)),
    "long field": lambda tmp: _csv(row(occupation="x" * 140_000)),
    "nul": lambda tmp: _csv(row(full_name="Trần\x00Thị Thu")),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_is_a_message_and_does_not_stay(
    signed_in: Client, tree, uploads: Path, tmp_path: Path, kind: str
) -> None:
    response = _post(signed_in, BAD_FILES[kind](tmp_path))
    assert response.status_code == 200  # today: a 500 for each but the NUL (stored on SQLite)
    page = response.content.decode()
    expected = {
        "garbage": "không phải là một bảng tính .xlsx đọc được",
        "truncated": "không phải là một bảng tính .xlsx đọc được",
        "long field": "Dòng 2 của tệp",
        "nul": "U+0000",
    }[kind]
    assert expected in page
    assert not Member.objects.exists()
    assert _leftovers(uploads) == []


def test_a_file_over_the_limit_is_refused_before_it_is_stored(
    signed_in: Client, tree, uploads: Path, settings
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "IMPORT_MAX_BYTES": 100}
    page = _post(signed_in, _csv(row())).content.decode()
    assert "tối đa 1 KB" in page
    assert _leftovers(uploads) == [] and not Member.objects.exists()


def test_a_roster_without_the_religion_column_previews_and_confirms(
    signed_in: Client, tree, uploads: Path
) -> None:
    """Today: the preview passes, then the confirmation is a 500 (IntegrityError)."""
    header = ",".join(c.header for c in COLUMNS if c.field != "religion")
    values = ",".join(v for c, v in zip(COLUMNS, row().split(","), strict=True) if c.field != "religion")
    preview = _post(signed_in, _csv(values, header=header)).content.decode()
    assert 'name="confirm"' in preview
    assert signed_in.post("/nhap-du-lieu/", {"confirm": "1"}).status_code == 302
    assert Member.objects.get().religion == Religion.NONE
    assert _leftovers(uploads) == []


def test_a_large_file_is_checked_then_written_by_background_jobs(
    signed_in: Client, officer: User, tree, uploads: Path, settings, login: Any, run: Any
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "IMPORT_INLINE_BYTES": 100}
    rows = [row(citizen_id=f"0011850{i:05d}", file_number="", old_card_number="") for i in range(30)]
    response = _post(signed_in, _csv(*rows))
    check = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:job_detail", args=[check.pk])
    assert (check.kind, check.params["write"], check.actor) == ("registry.import", False, officer)
    assert not Member.objects.exists() and len(_leftovers(uploads)) == 1  # waits for the worker
    run(check.pk)  # what the django-tasks-db worker does
    check.refresh_from_db()
    assert (check.status, check.total, check.failed) == ("done", 30, 0)
    page = signed_in.get(reverse("jobs:job_detail", args=[check.pk])).content.decode()
    assert "Nhập danh sách" in page and 'name="confirm_job"' in page and "30 dòng" in page
    # the confirmation starts the job that writes; a stranger cannot confirm it
    stranger = User.objects.create_user(
        "khac", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )
    other = Client()
    login(other, stranger)
    other.post("/nhap-du-lieu/", {"confirm_job": str(check.pk)})
    assert Job.objects.count() == 1
    response = signed_in.post("/nhap-du-lieu/", {"confirm_job": str(check.pk)})
    write = Job.objects.exclude(pk=check.pk).get()
    assert (
        response["Location"] == reverse("jobs:job_detail", args=[write.pk]) and write.params["write"] is True
    )
    run(write.pk)
    write.refresh_from_db()
    assert (write.status, write.succeeded, write.failed) == ("done", 30, 0)
    assert Member.objects.count() == 30
    assert _leftovers(uploads) == []  # the upload is gone once written
    assert (
        "30 đảng viên đã được nhập"
        in signed_in.get(reverse("jobs:job_detail", args=[write.pk])).content.decode()
    )


def test_a_large_file_with_problems_lists_them_on_the_job_page(
    signed_in: Client, tree, uploads: Path, settings, run: Any
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "IMPORT_INLINE_BYTES": 100}
    rows = [row(citizen_id=f"0011850{i:05d}", file_number="", old_card_number="") for i in range(5)]
    rows[3] = row(citizen_id="12", file_number="", old_card_number="")
    _post(signed_in, _csv(*rows))
    check = Job.objects.get()
    run(check.pk)
    check.refresh_from_db()
    assert (check.total, check.failed) == (5, 1)
    failure = check.failures.get()
    assert failure.target_id == 5 and "Số CCCD" in failure.message_vi and "12 digits" in failure.message_en
    page = signed_in.get(reverse("jobs:job_detail", args=[check.pk])).content.decode()
    assert 'name="confirm_job"' not in page and "không có gì được nhập" in page
    assert _leftovers(uploads) == []  # a refused upload does not stay
    signed_in.post("/nhap-du-lieu/", {"confirm_job": str(check.pk)})
    assert Job.objects.count() == 1 and not Member.objects.exists()


def test_a_large_unreadable_file_fails_its_job_cleanly(
    signed_in: Client, tree, uploads: Path, settings, run: Any
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "IMPORT_INLINE_BYTES": 100}
    _post(signed_in, SimpleUploadedFile("x.xlsx", b"PK\x03\x04" + b"\x00" * 500))
    check = Job.objects.get()
    run(check.pk)
    check.refresh_from_db()
    assert check.status == "done" and check.failed == 1
    assert "không phải là một bảng tính .xlsx" in check.failures.get().message_vi
    assert _leftovers(uploads) == []
    page = signed_in.get(reverse("jobs:job_detail", args=[check.pk])).content.decode()
    assert "<td>—</td><td>Tệp không phải là một bảng tính .xlsx" in page


def test_a_job_whose_uploader_is_gone_imports_nothing(
    signed_in: Client, officer: User, tree, uploads: Path, settings, run: Any
) -> None:
    """The job acts as its starter; without one it must not fall back to the operator's whole tree."""
    settings.PARTYCARD = {**settings.PARTYCARD, "IMPORT_INLINE_BYTES": 100}
    _post(
        signed_in,
        _csv(*[row(citizen_id=f"0011850{i:05d}", file_number="", old_card_number="") for i in range(5)]),
    )
    check = Job.objects.get()
    Job.objects.filter(pk=check.pk).update(params={**check.params, "write": True})
    officer.delete()
    run(check.pk)
    check.refresh_from_db()
    assert check.failed == 1 and "không còn tồn tại" in check.failures.get().message_vi
    assert not Member.objects.exists() and _leftovers(uploads) == []


def test_an_upload_never_confirmed_is_removed_after_a_day(uploads: Path) -> None:
    import os
    import time

    from partycard.registry.jobs import UPLOAD_TTL, upload_dir

    upload_dir()
    stale, fresh = uploads / "old.csv", uploads / "new.csv"
    stale.write_text("x")
    fresh.write_text("x")
    past = time.time() - UPLOAD_TTL - 60
    os.utime(stale, (past, past))
    upload_dir()
    assert _leftovers(uploads) == [fresh]
