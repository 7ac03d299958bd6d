"""The registry of job kinds (``jobs.kinds``): an app registers a kind with its label and page, and the job
page (which imports no app above jobs) shows what the kind says."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from partycard.jobs import kinds
from partycard.jobs.kinds import ChunkResult, Failure, JobPage, job_page, kind_label
from partycard.jobs.models import Job
from partycard.jobs.services import job_create, job_run

pytestmark = pytest.mark.django_db

KIND = "test.page"


class TwoFailures:
    def chunk_count(self, job: Job) -> int:
        return 1

    def total(self, job: Job) -> int:
        return 3

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        return ChunkResult(
            succeeded=1, failures=[Failure(7, "Lỗi của hồ sơ bảy", "seven"), Failure(0, "Cả tác vụ", "whole")]
        )


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, list[int]]]:
    """Register ``KIND`` with a page; what the page function was asked, in order."""
    monkeypatch.setattr(kinds, "_KINDS", dict(kinds._KINDS))
    monkeypatch.setattr(kinds, "_DISPLAYS", dict(kinds._DISPLAYS))
    calls: list[tuple[Any, list[int]]] = []

    def page(viewer: Any, job: Job, target_ids: Sequence[int]) -> JobPage:
        calls.append((viewer, list(target_ids)))
        return JobPage(
            title="Tiêu đề của loại tác vụ",
            reason="vì lý do thử",
            back_url="/registry/",
            target_view="registry:member_detail",
            target_heading="Hồ sơ thử",
            target_names={7: "Nguyễn Văn Bảy"},
            result_template="registry/_import_job_result.html",
            result_context={"writes": True},
        )

    kinds.register(KIND, TwoFailures(), label="Nhãn loại thử", page=page)
    return calls


def test_a_registered_kind_has_its_label_and_page(asked: list[tuple[Any, list[int]]]) -> None:
    job = Job(kind=KIND, params={})
    assert kind_label(KIND) == "Nhãn loại thử"
    assert kinds.kind_of(job).total(job) == 3
    assert job_page("viewer", job, [7]).title == "Tiêu đề của loại tác vụ"
    assert asked == [("viewer", [7])]


def test_a_kind_nobody_registered_shows_its_name_and_nothing_more() -> None:
    job = Job(kind="nobody.registered", params={})
    assert kind_label("nobody.registered") == "nobody.registered"
    assert job_page(None, job, []) == JobPage()
    with pytest.raises(ValueError, match="unknown job kind"):
        kinds.kind_of(job)


def test_registering_again_replaces(asked: list[tuple[Any, list[int]]]) -> None:
    kinds.register(KIND, TwoFailures(), label="Nhãn mới")
    assert kind_label(KIND) == "Nhãn mới"
    assert job_page(None, Job(kind=KIND, params={}), []) == JobPage()  # no page this time


def test_the_job_page_shows_what_the_kind_says(
    asked: list[tuple[Any, list[int]]], client: Client, login: Any, officers: Any
) -> None:
    job = job_run(job_create(actor=officers.centre, kind=KIND, params={}).pk)
    assert (job.status, job.failed) == (Job.Status.DONE, 2)
    login(client, officers.centre)
    page = client.get(f"/tac-vu/{job.pk}/").content.decode()
    assert "Nhãn loại thử" in page and "Tiêu đề của loại tác vụ" in page and "vì lý do thử" in page
    assert "Hồ sơ thử" in page  # the failures' heading
    assert 'href="/dang-vien/7/"' in page and "Nguyễn Văn Bảy" in page  # the target, linked
    assert "<td>—</td><td>Cả tác vụ</td>" in page  # target 0: the job as a whole, not a record
    assert 'href="/registry/"' in page  # back
    with translation.override("vi"):  # the result template, given the kind's result context
        assert gettext("Nothing was imported: fix the rows below and upload the file again.") in page
    viewer, target_ids = asked[-1]
    assert viewer == officers.centre and target_ids == [0, 7]
