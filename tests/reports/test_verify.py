"""``report verify`` names every counter that is not what a recount from scratch says (organisation code,
counter, expected, found) and exits 1; ``report rebuild`` puts them right, daily series included, in one
transaction (the issue's "verify" and "rebuild")."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Sum

from partycard.audit.models import AuditEvent
from partycard.exchange.services import case_propose, evaluate_members
from partycard.registry.models import Member
from partycard.reports import recount
from partycard.reports.jobs import start_rebuild, start_verify
from partycard.reports.models import Tally, TallyDay
from partycard.reports.services import tallies_rebuild
from tests.conftest import member_data
from tests.reports.conftest import card_holder, counts, verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(tree: Any, officers: Any, campaign: Any, make_member: Any) -> Any:
    member = card_holder(make_member)
    evaluate_members(campaign, [member.pk])
    return case_propose(actor=officers.cell, campaign=campaign, member=member)


def test_verify_finds_nothing_when_every_change_went_through_the_services(proposed: Any) -> None:
    total, listed = recount.differences()
    assert (total, listed) == (0, [])
    out = StringIO()
    call_command("report", "verify", "--no-progress", stdout=out)
    assert "All counters match" in out.getvalue()


def test_verify_names_a_corrupted_counter_and_exits_1(tree: Any, campaign: Any, proposed: Any) -> None:
    Tally.objects.filter(organisation=tree.hanoi, key="case_proposed").update(n=F("n") + 1)
    total, listed = recount.differences()
    assert total == 1
    (d,) = listed
    assert (d.code, d.campaign_id, d.key, d.expected, d.found, d.daily) == (
        "HN",
        campaign.pk,
        "case_proposed",
        1,
        2,
        False,
    )
    out = StringIO()
    with pytest.raises(CommandError, match="1 differences"):
        call_command("report", "verify", "--no-progress", stdout=out)
    assert f"HN case_proposed (campaign {campaign.pk}): expected 1, found 2" in out.getvalue()


def test_verify_of_one_subtree_names_only_its_differences(tree: Any, proposed: Any) -> None:
    Tally.objects.filter(organisation=tree.hanoi, key="members").update(n=F("n") + 1)
    Tally.objects.filter(organisation=tree.centre, key="members").update(n=F("n") + 1)
    total, listed = recount.differences(path=tree.hanoi.path)
    assert (total, [d.code for d in listed]) == (1, ["HN"])
    call_command("report", "verify", "--no-progress", "--code", "HUE", stdout=StringIO())
    with pytest.raises(CommandError, match="no organisation"):
        call_command("report", "verify", "--no-progress", "--code", "NOPE", stdout=StringIO())


def test_verify_names_a_daily_series_that_does_not_add_up(tree: Any, proposed: Any) -> None:
    TallyDay.objects.filter(organisation=tree.cell_a, key="members").update(delta=F("delta") + 5)
    (d,) = verified()
    assert (d.code, d.key, d.expected, d.found, d.daily) == ("HN-BD-01-01", "members", 1, 6, True)


def test_rebuild_puts_every_counter_right_and_keeps_the_series_adding_up(
    tree: Any, campaign: Any, proposed: Any
) -> None:
    Tally.objects.filter(organisation=tree.centre, key="eligible").delete()
    Tally.objects.filter(organisation=tree.hue).update(n=7)
    Member.objects.bulk_create([Member(**member_data(tree.hue_cell, citizen_id="001080077777"))])  # no hooks
    assert len(verified()) >= 3
    day = dt.date(2026, 9, 2)
    done = tallies_rebuild(actor=None, day=day)
    assert done.counters >= 3
    assert verified() == []
    assert counts(tree.hue)["members"] == 1
    assert counts(tree.centre, campaign.pk)["eligible"] == 1
    # The correction of the daily series is dated ``day``: before it, Huế had no members.
    assert (
        TallyDay.objects.filter(organisation=tree.hue, key="members", day=day).aggregate(s=Sum("delta"))["s"]
        == 1
    )
    assert AuditEvent.objects.filter(action="reports.rebuild").count() == 1
    # Nothing left to correct.
    assert tallies_rebuild(actor=None).counters == 0


def test_the_cli_rebuilds_and_verify_then_passes(tree: Any, proposed: Any) -> None:
    Tally.objects.all().delete()
    TallyDay.objects.all().delete()
    with pytest.raises(CommandError):
        call_command("report", "verify", "--no-progress", stdout=StringIO())
    out = StringIO()
    call_command("report", "rebuild", "--no-progress", stdout=out)
    assert "counters" in out.getvalue()
    call_command("report", "verify", "--no-progress", stdout=StringIO())


def test_verify_and_rebuild_jobs_belong_to_whoever_holds_the_whole_tree(officers: Any) -> None:
    from partycard.core.scope import OutOfScope

    for start in (start_verify, start_rebuild):
        with pytest.raises(OutOfScope):
            start(actor=officers.province, enqueue=False)
        with pytest.raises(OutOfScope):
            tallies_rebuild(actor=officers.province)
    job = start_verify(actor=officers.centre, enqueue=False)
    assert (job.chunk_count, job.params["path"]) == (1, "")
