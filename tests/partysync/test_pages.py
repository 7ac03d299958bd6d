"""The sync pages (``/dong-bo/``) and API (``/api/v1/sync/``): upload, preview, decide, apply; the same
scope rules as the services (the matrices probe the other side)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.api.services import token_issue
from partycard.jobs.models import Job
from partycard.jobs.runner import job_run
from partycard.partysync.models import SyncRun
from partycard.registry.models import Member
from partycard.registry.services import member_update
from tests.partysync.conftest import export, preview, read_jsonl

pytestmark = pytest.mark.django_db


def conflicting_file(tree: Any, officer: User, three: list[Member], tmp_path: Any) -> Any:
    path = tmp_path / "hn.jsonl"
    export(officer, tree.hanoi, path)
    member_update(actor=officer, member=three[0], changes={"full_name": "Nguyễn Văn Ân"})
    items = read_jsonl(path)
    for item in items:
        if item["file_number"] == "000001HN":
            item["full_name"] = "Nguyễn Văn Anh"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return path


def test_upload_preview_decide_and_apply_on_the_page(tree, officer, three, tmp_path, login) -> None:
    path = conflicting_file(tree, officer, three, tmp_path)
    web = Client()
    login(web, officer)
    assert web.get("/dong-bo/").status_code == 200
    response = web.post(
        "/dong-bo/", {"file": SimpleUploadedFile("hn.jsonl", path.read_bytes()), "organisation": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    run = SyncRun.objects.get(kind="import")
    job_run(run.preview_job_id)  # the worker's part
    page = web.get(f"/dong-bo/{run.pk}/").content.decode()
    number = _row(run)
    assert "Nguyễn Văn Anh" in page and "Nguyễn Văn Ân" in page and f'name="d:{number}:full_name"' in page
    assert web.post(f"/dong-bo/{run.pk}/quyet-dinh/", {f"d:{number}:full_name": "theirs"}).status_code == 302
    response = web.post(f"/dong-bo/{run.pk}/ap-dung/")
    assert response.status_code == 302
    job = Job.objects.get(kind="partysync.apply")
    job_run(job.pk)
    assert Member.objects.get(pk=three[0].pk).full_name == "Nguyễn Văn Anh"
    assert web.get("/dong-bo/").status_code == 200
    for tab in ("missing", "unchanged", "bad", "added"):
        assert web.get(f"/dong-bo/{run.pk}/?tab={tab}").status_code == 200


def _row(run: SyncRun) -> int:
    return run.staged.get(kind="conflict").number


def test_a_file_of_an_unknown_kind_is_refused_on_the_form(officer, login) -> None:
    web = Client()
    login(web, officer)
    response = web.post("/dong-bo/", {"file": SimpleUploadedFile("hn.pdf", b"%PDF"), "organisation": ""})
    assert response.status_code == 200 and ".pdf" in response.content.decode()
    assert not SyncRun.objects.exists()


def test_a_role_without_the_sync_right_gets_404(tree, siblings, login) -> None:
    secretary = User.objects.create_user(
        "sync-cell", password="mat-khau-dai-1", role=Role.CELL_SECRETARY, organisation=tree.cell_a
    )
    web = Client()
    login(web, secretary)
    assert web.get("/dong-bo/").status_code == 404


def test_the_api_lists_shows_decides_and_applies(tree, officer, three, tmp_path) -> None:
    path = conflicting_file(tree, officer, three, tmp_path)
    run = preview(officer, tree.hanoi, path)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(actor=None, user=officer, name='t')[1]}")
    listed = api.get("/api/v1/sync/runs").json()
    assert [r["id"] for r in listed][:1] == [run.pk] and listed[0]["conflicts"] == 1
    rows = api.get(f"/api/v1/sync/runs/{run.pk}/rows", {"kind": "conflict"}).json()
    assert rows[0]["changes"]["full_name"]["outcome"] == "conflict"
    bad = api.post(
        f"/api/v1/sync/runs/{run.pk}/decisions",
        json.dumps({"decisions": {"000001HN": {"home_town": "theirs"}}}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    ok = api.post(
        f"/api/v1/sync/runs/{run.pk}/decisions",
        json.dumps({"decisions": {"000001HN": {"full_name": "theirs"}}}),
        content_type="application/json",
    )
    assert ok.status_code == 200
    started = api.post(f"/api/v1/sync/runs/{run.pk}/apply")
    assert started.status_code == 202 and started.json()["apply_job"]
    job_run(started.json()["apply_job"])
    assert Member.objects.get(pk=three[0].pk).full_name == "Nguyễn Văn Anh"
    assert api.post(f"/api/v1/sync/runs/{run.pk}/apply").status_code == 409
    assert api.get("/api/v1/sync/runs/999999").status_code == 404
