"""The cross-check end to end, from the issue's text: "every member matched on citizen ID, name (accent-
and space-insensitive comparison kept separate from an exact one), date of birth and gender; each
mismatch classified with a reason code and routed to the member's cell as a task to resolve (correct the
record, or confirm with a note); progress and results in the reports; respects the rate limit, retries
with backoff, resumes … without re-asking what it already has" — against the real stand-in process."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from partycard.jobs.models import Job
from partycard.jobs.services import job_run
from partycard.population.errors import CheckRunning
from partycard.population.models import CheckResult, CheckRun, CheckTally, DataTask, Outcome, TaskStatus
from partycard.population.services import check_start, task_confirm, task_correct
from partycard.registry.models import Member
from tests.population.conftest import members_in, person_of

pytestmark = pytest.mark.django_db


def _world(tree: Any, make_member: Any) -> tuple[list[Member], list[Member]]:
    """60 members with a citizen ID over three cells of two provinces, and two without one."""
    members = members_in(make_member, [tree.cell_a, tree.cell_b, tree.hue_cell], 20)
    without = [
        make_member(org=tree.cell_b, full_name="Phạm Văn Không", citizen_id=None),
        make_member(org=tree.hue_cell, full_name="Phạm Thị Số", citizen_id=None, gender="F"),
    ]
    return members, without


def _population(members: list[Member]) -> list[Any]:
    """The population database: everyone as recorded, except seven, one per kind of difference."""
    people: list[Any] = [person_of(m) for m in members]
    p = people
    people[0] = None  # not found
    people[1] = replace(p[1], full_name=p[1].full_name.replace("Đức", "Duc").replace("Ánh", "Anh"))
    people[2] = replace(p[2], full_name=p[2].full_name.replace(" ", "  ", 1))
    people[3] = replace(p[3], full_name="Trần Văn Khác")
    people[4] = replace(p[4], date_of_birth=p[4].date_of_birth + dt.timedelta(days=40))
    people[5] = replace(p[5], gender="F" if p[5].gender == "M" else "M")
    people[21] = replace(p[21], deceased=True, date_of_death=dt.date(2025, 1, 15))
    people[22] = replace(p[22], full_name="Trần Văn Khác", gender="F" if p[22].gender == "M" else "M")
    return people


EXPECTED = {
    0: ["not_found"],
    1: ["name_accents"],
    2: ["name_accents"],
    3: ["name"],
    4: ["date_of_birth"],
    5: ["gender"],
    21: ["deceased"],
    22: ["gender", "name"],
}


def _run(root: Any, actor: Any = None) -> CheckRun:
    run = check_start(actor=actor, root=root, enqueue=False)
    assert run.job is not None
    job = job_run(run.job.pk)
    assert (job.status, job.error) == (Job.Status.DONE, "")
    run.refresh_from_db()
    return run


def test_a_whole_country_check_classifies_and_routes_every_difference(
    tree: Any, make_member: Any, serve: Any
) -> None:
    members, without = _world(tree, make_member)
    standin = serve(_population(members))
    run = _run(tree.centre)

    assert run.finished_at is not None
    assert (run.members, run.checked, run.agreed, run.differed, run.no_citizen_id) == (62, 62, 52, 8, 2)
    results = dict(CheckResult.objects.filter(run=run).values_list("member_id", "reasons"))
    assert len(results) == 62
    for i, m in enumerate(members):
        assert results[m.pk] == ",".join(EXPECTED.get(i, [])), i
    assert {results[m.pk] for m in without} == {"no_citizen_id"}

    tasks = {t.member_id: t for t in DataTask.objects.filter(status=TaskStatus.OPEN)}
    assert set(tasks) == {members[i].pk for i in EXPECTED} | {m.pk for m in without}
    for i, reasons in EXPECTED.items():
        task = tasks[members[i].pk]
        assert task.reasons == reasons
        assert task.cell_id == members[i].organisation_id  # routed to the member's cell
        assert task.run_id == run.pk
    assert tasks[members[1].pk].found == {"full_name": members[1].full_name.replace("Đức", "Duc")}
    assert tasks[members[4].pk].found == {
        "date_of_birth": (members[4].date_of_birth + dt.timedelta(days=40)).isoformat()
    }
    assert tasks[members[0].pk].found == {}
    assert tasks[without[0].pk].reasons == ["no_citizen_id"]

    # Asked once each, in batches; the members without a citizen ID not at all.
    stats = standin.stats(ids=True)
    assert stats["asked"] == {m.citizen_id: 1 for m in members}
    # The per-cell tallies add up to the run.
    tallies = list(CheckTally.objects.filter(run=run))
    assert {t.cell_id for t in tallies} == {tree.cell_a.pk, tree.cell_b.pk, tree.hue_cell.pk}
    assert sum(t.checked for t in tallies) == 62 and sum(t.no_citizen_id for t in tallies) == 2
    assert sum(t.name_accents for t in tallies) == 2 and sum(t.gender for t in tallies) == 2


def test_a_later_run_updates_closes_and_remembers_confirmations(
    tree: Any, make_member: Any, serve: Any, django_user_model: Any
) -> None:
    members, _ = _world(tree, make_member)
    people = _population(members)
    serve(people)
    first = _run(tree.centre)
    officer = django_user_model.objects.create_user(
        "bithu", password="mat-khau-dai-1", role="cell_secretary", organisation=tree.cell_a
    )
    # The cell corrects the accents from the values found, and confirms the other name with a note.
    accents = DataTask.objects.get(member=members[1], status=TaskStatus.OPEN)
    task_correct(actor=officer, task=accents, changes={"full_name": accents.found["full_name"]})
    renamed = DataTask.objects.get(member=members[3], status=TaskStatus.OPEN)
    task_confirm(actor=officer, task=renamed, note="Đã đổi tên theo quyết định, công an xã đã ghi nhận.")
    # Meanwhile someone fixes the date of birth in the record; the population database fixes a gender.
    Member.objects.filter(pk=members[4].pk).update(date_of_birth=people[4].date_of_birth)
    people[5] = person_of(members[5])
    serve(people)

    second = _run(tree.centre)
    assert second.pk != first.pk
    open_now = {t.member_id: t for t in DataTask.objects.filter(status=TaskStatus.OPEN)}
    assert members[1].pk not in open_now  # corrected: agrees now, no new task
    assert members[3].pk not in open_now  # the same difference confirmed: not raised again
    assert members[4].pk not in open_now and members[5].pk not in open_now
    closed = DataTask.objects.filter(status=TaskStatus.CLOSED)
    assert {t.member_id for t in closed} == {members[4].pk, members[5].pk}
    assert all(t.run_id == second.pk for t in closed)
    # Still differing: the same task, updated (one OPEN task per member), never a second one.
    assert open_now[members[0].pk].run_id == second.pk
    assert DataTask.objects.filter(member=members[0]).count() == 1
    assert CheckResult.objects.filter(run=second, outcome=Outcome.AGREES).count() == 52 + 3


def test_timeouts_and_server_errors_are_retried_and_the_results_are_the_same(
    tree: Any, make_member: Any, serve: Any, settings: Any
) -> None:
    members, _ = _world(tree, make_member)
    standin = serve(_population(members), timeout=0.3, timeout_share=0.2, timeout_delay=1, error_share=0.2)
    api = settings.PARTYCARD["POPULATION_API"]
    settings.PARTYCARD = {
        **settings.PARTYCARD,
        "POPULATION_API": {**api, "max_retries": 12, "batch": 3},
    }
    run = _run(tree.centre)
    stats = standin.stats()
    assert stats["timeouts"] > 0 and stats["errors"] > 0
    assert (run.checked, run.differed) == (62, 8)
    assert set(
        CheckResult.objects.filter(run=run).exclude(reasons="").values_list("member_id", flat=True)
    ) >= {members[i].pk for i in EXPECTED}


def test_a_check_that_cannot_reach_the_service_stops_and_resumes_without_asking_twice(
    tree: Any, make_member: Any, serve: Any, settings: Any
) -> None:
    members, _ = _world(tree, make_member)
    people = _population(members)
    serve(people)
    api = settings.PARTYCARD["POPULATION_API"]
    settings.PARTYCARD = {**settings.PARTYCARD, "POPULATION_API": {**api, "chunk": 20}}
    run = check_start(actor=None, root=tree.centre, enqueue=False)
    assert run.job is not None
    assert job_run(run.job.pk, stop_after=2).chunks_done == 2
    done = set(CheckResult.objects.filter(run=run).values_list("member_id", flat=True))
    assert len(done) == 40

    broken = serve(people, error_share=1.0)
    settings.PARTYCARD["POPULATION_API"]["max_retries"] = 1
    with pytest.raises(Exception, match="503"):
        job_run(run.job.pk)
    failed = Job.objects.get(pk=run.job.pk)
    assert failed.status == Job.Status.FAILED and "503" in failed.error
    assert broken.stats()["errors"] == 2 and broken.stats()["records"] == 0
    assert CheckResult.objects.filter(run=run).count() == 40  # the failed chunk left nothing

    healthy = serve(people)
    job = job_run(run.job.pk)
    assert job.status == Job.Status.DONE
    asked = healthy.stats(ids=True)["asked"]
    assert set(asked) == {m.citizen_id for m in members if m.pk not in done}  # only what it lacked
    assert set(asked.values()) == {1}
    assert CheckResult.objects.filter(run=run).count() == 62


def test_one_check_of_a_subtree_at_a_time(tree: Any, make_member: Any, serve: Any) -> None:
    _world(tree, make_member)
    check_start(actor=None, root=tree.hanoi, enqueue=False)
    with pytest.raises(CheckRunning):
        check_start(actor=None, root=tree.centre, enqueue=False)
    with pytest.raises(CheckRunning):
        check_start(actor=None, root=tree.cell_a, enqueue=False)
    check_start(actor=None, root=tree.hue, enqueue=False)  # a sibling may run
