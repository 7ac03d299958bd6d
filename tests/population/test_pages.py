"""The population pages (Vietnamese, dd/mm/yyyy) and API: the overview with the runs and their progress,
the counts by reason per child organisation (a province sees its part of the country's run), the tasks of
the viewer's scope with filters, and a task resolved by correcting the record (the form pre-filled with the
population database's values) or confirming it with a note (required)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pytest
from django.test import Client

from partycard.api.services import token_issue
from partycard.jobs.services import job_run
from partycard.population.models import CheckRun, DataTask, TaskStatus
from partycard.population.services import check_start
from partycard.registry.models import Member
from tests.exchange.conftest import Officers, officers
from tests.population.conftest import members_in, person_of

__all__ = ["officers"]

pytestmark = pytest.mark.django_db


def _as(user: Any, login: Any) -> Client:
    client = Client()
    login(client, user)
    return client


def _api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(actor=None, user=user, name='t')[1]}")


@pytest.fixture
def checked(tree: Any, make_member: Any, serve: Any) -> dict[str, Any]:
    """A country's run: in cell A a name without accents and a date of birth differing, in Huế a gender."""
    members = members_in(make_member, [tree.cell_a, tree.cell_b, tree.hue_cell], 4)
    people: list[Any] = [person_of(m) for m in members]
    people[1] = replace(people[1], full_name="Le Van Duc 1")  # member 1 is "Lê Văn Đức 1"
    people[2] = replace(people[2], date_of_birth=dt.date(1951, 2, 3))
    people[8] = replace(people[8], gender="M" if people[8].gender == "F" else "F")
    serve(people)
    run = check_start(actor=None, root=tree.centre, enqueue=False)
    assert run.job is not None
    job_run(run.job.pk)
    return {"run": CheckRun.objects.get(pk=run.pk), "members": members}


def test_the_overview_the_run_and_a_province_sees_its_part(
    checked: dict[str, Any], officers: Officers, login: Any, tree: Any
) -> None:
    run = checked["run"]
    centre = _as(officers.centre, login)
    home = centre.get("/doi-soat-dan-cu/").content.decode()
    assert "Đối soát với Cơ sở dữ liệu quốc gia về dân cư" in home or "doi-soat-dan-cu" in home
    assert f"/doi-soat-dan-cu/lan/{run.pk}/" in home
    page = centre.get(f"/doi-soat-dan-cu/lan/{run.pk}/").content.decode()
    assert tree.hanoi.name in page and tree.hue.name in page
    # Hà Nội sees the country's run, counted over its own cells only, and not Huế's row.
    hanoi = _as(officers.province, login)
    assert f"/doi-soat-dan-cu/lan/{run.pk}/" in hanoi.get("/doi-soat-dan-cu/").content.decode()
    part = hanoi.get(f"/doi-soat-dan-cu/lan/{run.pk}/").content.decode()
    assert tree.hue.name not in part and tree.ba_dinh.name in part
    counts = _api(officers.province).get(f"/api/v1/population/runs/{run.pk}/organisations").json()
    assert counts[0]["organisation"] is None and counts[0]["checked"] == 8 and counts[0]["differed"] == 2
    assert counts[0]["name_accents"] == 1 and counts[0]["date_of_birth"] == 1 and counts[0]["gender"] == 0
    assert [c["organisation"]["code"] for c in counts[1:]] == [tree.ba_dinh.code]
    whole = _api(officers.centre).get(f"/api/v1/population/runs/{run.pk}").json()
    assert (whole["members"], whole["checked"], whole["differed"], whole["percent"]) == (12, 12, 3, 100)
    assert _api(officers.province).get(f"/api/v1/population/runs/{run.pk}").json()["members"] == -1
    # Huế's cell secretary does not see Hà Nội's cells' tasks.
    assert "Le Van" not in _as(officers.hue_cell, login).get("/doi-soat-dan-cu/viec/").content.decode()


def test_the_cell_corrects_from_the_values_found(
    checked: dict[str, Any], officers: Officers, login: Any
) -> None:
    member = checked["members"][1]
    task = DataTask.objects.get(member=member, status=TaskStatus.OPEN)
    cell = _as(officers.cell, login)
    listed = cell.get("/doi-soat-dan-cu/viec/").content.decode()
    assert f"/doi-soat-dan-cu/viec/{task.pk}/" in listed and member.full_name in listed
    page = cell.get(f"/doi-soat-dan-cu/viec/{task.pk}/").content.decode()
    assert 'value="Le Van Duc 1"' in page  # pre-filled with the population database's value
    form = {
        "full_name": "Lê Văn Đức 1",
        "date_of_birth": member.date_of_birth.strftime("%d/%m/%Y"),
        "gender": "M",
    }
    same = cell.post(f"/doi-soat-dan-cu/viec/{task.pk}/sua/", {**form, "citizen_id": ""})
    assert same.status_code == 400  # nothing changed: said, not a 500
    assert DataTask.objects.get(pk=task.pk).status == TaskStatus.OPEN
    done = cell.post(
        f"/doi-soat-dan-cu/viec/{task.pk}/sua/", {**form, "full_name": "Lê Văn Đức Không", "citizen_id": ""}
    )
    assert done.status_code == 302
    assert Member.objects.get(pk=member.pk).full_name == "Lê Văn Đức Không"
    assert DataTask.objects.get(pk=task.pk).status == TaskStatus.CORRECTED
    # The sibling cell's secretary cannot open it.
    assert _as(officers.other_cell, login).get(f"/doi-soat-dan-cu/viec/{task.pk}/").status_code == 404


def test_confirming_needs_a_note(checked: dict[str, Any], officers: Officers, login: Any) -> None:
    task = DataTask.objects.get(member=checked["members"][2], status=TaskStatus.OPEN)
    cell = _as(officers.cell, login)
    refused = cell.post(f"/doi-soat-dan-cu/viec/{task.pk}/xac-nhan/", {"note": "   "})
    assert refused.status_code == 400 and DataTask.objects.get(pk=task.pk).status == TaskStatus.OPEN
    api = _api(officers.cell)
    assert (
        api.post(
            f"/api/v1/population/tasks/{task.pk}/confirm",
            json.dumps({"note": ""}),
            content_type="application/json",
        ).status_code
        == 422
    )
    ok = api.post(
        f"/api/v1/population/tasks/{task.pk}/confirm",
        json.dumps({"note": "Giấy khai sinh ghi ngày này; đã báo công an xã."}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    again = api.post(
        f"/api/v1/population/tasks/{task.pk}/confirm",
        json.dumps({"note": "x"}),
        content_type="application/json",
    )
    assert again.status_code == 409


def test_the_task_list_filters(checked: dict[str, Any], officers: Officers, login: Any, tree: Any) -> None:
    centre = _as(officers.centre, login)
    everything = centre.get("/doi-soat-dan-cu/viec/").content.decode()
    dates = centre.get(
        "/doi-soat-dan-cu/viec/", {"ly_do": "date_of_birth", "trang_thai": "open"}
    ).content.decode()
    first, second = checked["members"][1], checked["members"][2]
    assert first.full_name in everything and second.full_name in everything
    assert second.full_name in dates and first.full_name not in dates
    hue = centre.get("/doi-soat-dan-cu/viec/", {"to_chuc": tree.hue.code}).content.decode()
    assert first.full_name not in hue and checked["members"][8].full_name in hue
    api = _api(officers.centre).get("/api/v1/population/tasks", {"reason": "gender"}).json()
    assert [t["member"] for t in api["items"]] == [checked["members"][8].pk]


def test_starting_a_check_from_the_page_and_the_api(
    tree: Any, make_member: Any, officers: Officers, login: Any, serve: Any
) -> None:
    members_in(make_member, [tree.cell_a], 3)
    province = _as(officers.province, login)
    started = province.post("/doi-soat-dan-cu/bat-dau/", {"organisation": tree.hanoi.code})
    run = CheckRun.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/doi-soat-dan-cu/lan/{run.pk}/"
    assert (run.root, run.members, run.started_by) == (tree.hanoi, 3, officers.province)
    # A second one of the same subtree while the first is queued: refused with a reason, not a 500.
    again = _api(officers.province).post(
        "/api/v1/population/runs",
        json.dumps({"organisation": tree.hanoi.code}),
        content_type="application/json",
    )
    assert again.status_code == 409
    # A cell secretary may resolve tasks but not start a check; nobody starts one outside their scope.
    assert (
        _as(officers.cell, login)
        .post("/doi-soat-dan-cu/bat-dau/", {"organisation": tree.cell_a.code})
        .status_code
        == 404
    )
    assert province.post("/doi-soat-dan-cu/bat-dau/", {"organisation": tree.hue.code}).status_code == 404
