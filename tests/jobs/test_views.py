"""The job page's "continue" button: the starter resumes a job that stopped part-way, nobody else can."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from partycard.audit.models import AuditEvent
from partycard.exchange.jobs import start_transition
from partycard.exchange.models import Case
from partycard.exchange.services import case_propose
from partycard.exchange.workflow import State, Transition
from partycard.jobs.models import Job
from partycard.jobs.services import job_run
from tests.exchange.conftest import card_holder

pytestmark = pytest.mark.django_db


def _stopped_job(officers: Any, campaign: Any, make_member: Any) -> Job:
    members = [
        card_holder(make_member, citizen_id=f"0010800{i:05d}", old_card_number=f"3000000{i}")
        for i in range(3)
    ]
    cases = [case_propose(actor=officers.cell, campaign=campaign, member=m) for m in members]
    job = start_transition(
        actor=officers.grassroots,
        transition=Transition.CONFIRM,
        targets=[c.pk for c in cases],
        chunk=1,
        enqueue=False,
    )
    return job_run(job.pk, stop_after=1)  # as if the worker died after the first chunk


def test_the_starter_continues_a_stopped_job_and_it_finishes_once(
    client: Client, login: Any, officers: Any, campaign: Any, make_member: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    job = _stopped_job(officers, campaign, make_member)
    assert (job.status, job.chunks_done) == (Job.Status.RUNNING, 1)
    login(client, officers.grassroots)
    page = client.get(f"/tac-vu/{job.pk}/").content.decode()
    assert "Tiếp tục tác vụ" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/tac-vu/{job.pk}/tiep-tuc/")
    assert response.status_code == 302
    assert DBTaskResult.objects.filter(args_kwargs__args=[job.pk]).count() == 1  # enqueued for the worker
    assert AuditEvent.objects.filter(action="job.resume", object_id=str(job.pk)).exists()
    job = job_run(job.pk)  # what the worker does with it
    assert (job.status, job.succeeded) == (Job.Status.DONE, 3)
    assert Case.objects.filter(state=State.CONFIRMED).count() == 3
    assert "Tiếp tục tác vụ" not in client.get(f"/tac-vu/{job.pk}/").content.decode()


def test_nobody_else_continues_it(
    client: Client, login: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    job = _stopped_job(officers, campaign, make_member)
    for other in (officers.upper, officers.hue_upper, officers.cell):
        login(client, other)
        assert client.post(f"/tac-vu/{job.pk}/tiep-tuc/").status_code == 404
    assert not DBTaskResult.objects.exists()
    assert client.get(f"/tac-vu/{job.pk}/tiep-tuc/").status_code == 405
