"""A file-backed SQLite database for the worker-kill test, made and checked in a process of its own.

The test suite's SQLite database is in memory, where no worker process can reach it; this module makes a
file database that can be shared. ``python -m tests.jobs.sqlite_worker_db setup`` migrates it, proposes
sixty cases and makes (and enqueues) a job confirming them, printing the job's id; ``check JOB`` asserts
that each case moved exactly once (the PostgreSQL test's own assertions). ``DATABASE_URL`` names the file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys


def _setup() -> None:
    from django.core.management import call_command

    from partycard.accounts.models import User
    from partycard.accounts.roles import Role
    from partycard.exchange.models import Campaign
    from tests.conftest import TreeFixture, member_data
    from tests.jobs.test_resume import CASES

    call_command("migrate", verbosity=0, stdout=io.StringIO())
    tree = TreeFixture()
    cell = User.objects.create_user("bt_a", password="x", role=Role.CELL_SECRETARY, organisation=tree.cell_a)
    grassroots = User.objects.create_user(
        "cs_school", password="x", role=Role.GRASSROOTS_OFFICER, organisation=tree.school
    )
    campaign = Campaign.objects.create(code="dot-2026", name="Đợt đổi thẻ 2026", cut_off=dt.date(2026, 6, 30))

    from partycard.exchange.jobs import start_transition
    from partycard.exchange.models import Case
    from partycard.exchange.services import cases_propose
    from partycard.exchange.workflow import Transition
    from partycard.registry import services

    members = [
        services.member_create(
            actor=None,
            data=member_data(tree.cell_a, citizen_id=f"0010801{i:05d}", old_card_number=f"5{i:07d}"),
        )
        for i in range(CASES)
    ]
    cases_propose(actor=cell, campaign=campaign, member_ids=[m.pk for m in members])
    case_ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    job = start_transition(actor=grassroots, transition=Transition.CONFIRM, targets=case_ids, chunk=5)
    print(json.dumps({"job": job.pk, "cases": case_ids}))


def _check(job_id: int, case_ids: list[int]) -> None:
    from partycard.jobs.models import Job
    from tests.jobs.test_resume import _assert_each_case_moved_exactly_once

    _assert_each_case_moved_exactly_once(Job.objects.get(pk=job_id), case_ids)
    print("ok")


def main() -> None:
    import django

    django.setup()
    if sys.argv[1] == "setup":
        _setup()
    else:
        made = json.loads(sys.argv[2])
        _check(made["job"], made["cases"])


if __name__ == "__main__":
    main()
