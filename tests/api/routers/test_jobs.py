"""Bulk transitions and evaluations as background jobs: 202 with the job's Location, run synchronously
here with ``job_run``, then the job's status, counts and per-case reasons through ``GET /jobs/{id}``."""

from __future__ import annotations

from typing import Any

import pytest

from partycard.accounts.models import Role
from partycard.exchange.models import Campaign, Case, Eligibility
from partycard.exchange.workflow import State
from partycard.jobs.models import Job
from partycard.jobs.services import job_run
from tests.exchange import conftest as exchange_fixtures
from tests.exchange.conftest import card_holder

pytestmark = pytest.mark.django_db

# The exchange's fixtures, shared with this module (its conftest is not an ancestor of tests/api).
campaign = exchange_fixtures.campaign
officers = exchange_fixtures.officers


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return dict(response.json())


@pytest.fixture
def proposed(api_as: Any, officers: Any, campaign: Any, make_member: Any) -> list[int]:
    """Three cases of cell_a proposed by its secretary, and one of Huế's cell."""
    ids = []
    for i in range(3):
        member = card_holder(
            make_member,
            full_name=f"Nguyễn Văn {'ABC'[i]}",
            citizen_id=f"00108001{i:04d}",
            old_card_number=f"8000000{i}",
        )
        ids.append(
            api_as(officers.cell).post("/cases", {"campaign": campaign.pk, "member": member.pk}).json()["id"]
        )
    return ids


def test_a_bulk_confirm_is_a_job_reporting_each_case_that_could_not_move(
    api_as, officers, tree, campaign, make_member, proposed
) -> None:
    hue_member = card_holder(
        make_member,
        org=tree.hue_cell,
        full_name="Lê Văn Huế",
        citizen_id="001080099999",
        old_card_number="90000001",
    )
    hue_case = api_as(officers.hue_cell).post("/cases", {"campaign": campaign.pk, "member": hue_member.pk})
    hue_id = hue_case.json()["id"]
    grassroots = api_as(officers.grassroots)
    grassroots.post(f"/cases/{proposed[0]}/transitions", {"transition": "confirm"})  # already moved
    started = grassroots.post(
        "/cases/bulk-transitions", {"transition": "confirm", "case_ids": [*proposed, hue_id, 999999]}
    )
    assert started.status_code == 202, started.content
    job = started.json()
    assert started["Location"] == f"/api/v1/jobs/{job['id']}"
    assert job | {"status": "queued", "total": 5, "succeeded": 0, "failed": 0, "progress": 0} == job
    job_run(job["id"])
    done = grassroots.get(f"/jobs/{job['id']}").json()
    assert done | {"status": "done", "progress": 100, "succeeded": 2, "failed": 3} == done
    failures = {f["target_id"]: f for f in done["failures"]["items"]}
    assert sorted(failures) == [proposed[0], hue_id, 999999] and done["failures"]["next_cursor"] is None
    assert failures[proposed[0]]["message_en"] == "Cannot “Confirm” a case in state confirmed."
    assert failures[proposed[0]]["message_vi"] == "Không thể «Xác nhận» hồ sơ ở trạng thái confirmed."
    assert failures[hue_id]["message_en"] == failures[999999]["message_en"] == "No such case in your scope."
    assert all(f["message_vi"] for f in failures.values())
    states = dict(Case.objects.values_list("pk", "state"))
    assert [states[i] for i in proposed] == [State.CONFIRMED] * 3 and states[hue_id] == State.PROPOSED
    # Failures page by target id.
    first = grassroots.get(f"/jobs/{job['id']}/failures", {"limit": 2}).json()
    rest = grassroots.get(f"/jobs/{job['id']}/failures", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [f["target_id"] for f in first["items"] + rest["items"]] == sorted(failures)
    assert rest["next_cursor"] is None
    _problem(grassroots.get(f"/jobs/{job['id']}/failures", {"cursor": "x"}), 400)


def test_a_bulk_job_is_seen_above_and_not_in_the_sibling_province(
    api_as, officers, make_user, proposed
) -> None:
    job = api_as(officers.grassroots).post(
        "/cases/bulk-transitions", {"transition": "confirm", "case_ids": proposed}
    )
    url = f"/jobs/{job.json()['id']}"
    assert api_as(officers.upper).get(url).status_code == 200  # the committee above watches it
    assert api_as(officers.province).get(url).status_code == 200
    missing = _problem(api_as(officers.upper).get("/jobs/999999"), 404)
    for who in (officers.hue_upper, officers.cell):  # another province; a level below the starter
        assert _problem(api_as(who).get(url), 404)["detail"] == missing["detail"]
        _problem(api_as(who).get(f"{url}/failures"), 404)


def test_bulk_requests_are_checked_before_a_job_is_made(api_as, officers, make_user, proposed) -> None:
    grassroots = api_as(officers.grassroots)
    for body, field in (
        ({"transition": "reject", "case_ids": proposed}, "reason"),
        ({"transition": "return", "case_ids": proposed, "reason": "Sai"}, "return_to"),
        ({"transition": "confirm", "case_ids": []}, "case_ids"),
        ({"transition": "confirm", "case_ids": list(range(1, 50_002))}, "case_ids"),
        ({"transition": "propose", "case_ids": proposed}, "transition"),
    ):
        errors = _problem(grassroots.post("/cases/bulk-transitions", body), 422)["errors"]
        assert [e["field"] for e in errors] == [field]
    inspector = api_as(make_user("tt", Role.INSPECTOR))
    _problem(inspector.post("/cases/bulk-transitions", {"transition": "confirm", "case_ids": proposed}), 403)
    assert not Job.objects.exists()


def test_a_bulk_return_sends_every_case_back_with_the_reason(api_as, officers, proposed) -> None:
    body = {"transition": "return", "case_ids": proposed, "reason": "Thiếu ảnh", "return_to": "cell"}
    job = api_as(officers.grassroots).post("/cases/bulk-transitions", body).json()
    assert job_run(job["id"]).succeeded == 3
    cases = Case.objects.filter(pk__in=proposed)
    assert {(c.state, c.returned_to, c.note) for c in cases} == {(State.RETURNED, "cell", "Thiếu ảnh")}


def test_an_evaluation_covers_the_actors_subtree(
    api_as, officers, make_user, tree, campaign, make_member
) -> None:
    card_holder(make_member)
    make_member(org=tree.cell_b, full_name="Trần Văn Bình", citizen_id="001080011111", old_card_number=None)
    make_member(org=tree.hue_cell, full_name="Lê Văn Huế", citizen_id="001080099999")
    Eligibility.objects.all().delete()  # stored when the members were created; the job stores them again
    started = api_as(officers.upper).post(f"/campaigns/{campaign.pk}/evaluations", {})
    assert started.status_code == 202, started.content
    job = started.json()
    assert started["Location"] == f"/api/v1/jobs/{job['id']}" and job["kind"] == "exchange.evaluate"
    job_run(job["id"])
    assert api_as(officers.upper).get(f"/jobs/{job['id']}").json()["succeeded"] == 2
    verdicts = dict(Eligibility.objects.values_list("member__full_name", "eligible"))
    assert verdicts == {"Nguyễn Văn An": True, "Trần Văn Bình": False}  # not Huế's member
    _problem(api_as(officers.grassroots).post(f"/campaigns/{campaign.pk}/evaluations", {}), 403)
    _problem(api_as(make_user("tt", Role.INSPECTOR)).post(f"/campaigns/{campaign.pk}/evaluations", {}), 403)
    closed = Campaign.objects.create(code="dot-cu", name="Đợt cũ", cut_off=campaign.cut_off, is_open=False)
    _problem(api_as(officers.upper).post(f"/campaigns/{closed.pk}/evaluations", {}), 404)
