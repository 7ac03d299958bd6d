"""The report's reads: scoped with ``VIEW_REPORT`` (another province's figures are a 404, the same as a
missing organisation), the figures as they stood on a past day, the daily trend, the drill-down, the
slowest organisations and why their members wait."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.cards.models import Card
from partycard.core import clock
from partycard.core.scope import OutOfScope
from partycard.exchange.models import Campaign, Case
from partycard.exchange.services import case_propose, case_transition, evaluate_members
from partycard.exchange.workflow import Transition
from partycard.reports import selectors
from partycard.reports.progress import Metric, Stage
from tests.factories import card_walk
from tests.reports.conftest import card_holder

pytestmark = pytest.mark.django_db

T = Transition
DAY0, DAY1, DAY2 = dt.date(2026, 9, 1), dt.date(2026, 9, 2), dt.date(2026, 9, 3)


def _proposed(make_member: Any, campaign: Any, officers: Any, **overrides: Any) -> Case:
    member = card_holder(make_member, **overrides)
    evaluate_members(campaign, [member.pk])
    actor = officers.cell if member.organisation.code.startswith("HN") else officers.hue_cell
    return case_propose(actor=actor, campaign=campaign, member=member)


def test_an_officer_of_one_province_cannot_read_anothers_figures(
    tree: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    _proposed(make_member, campaign, officers)
    reads = (
        lambda: selectors.progress_get(officers.hue_upper, code="HN"),
        lambda: selectors.progress_children(officers.hue_upper, code="HN-BD"),
        lambda: selectors.progress_trend(officers.hue_upper, code="HN", start=DAY0, end=DAY1),
        lambda: selectors.progress_lagging(officers.hue_upper, code="HN"),
        lambda: selectors.progress_breadcrumbs(officers.hue_upper, code="HN-BD-01-01"),
    )
    for read in reads:
        with pytest.raises(OutOfScope) as out_of_scope:
            read()
        assert out_of_scope.value.http_status == 404
    # The same answer as an organisation that does not exist.
    with pytest.raises(OutOfScope) as missing:
        selectors.progress_get(officers.hue_upper, code="NO-SUCH")
    assert str(missing.value) == str(out_of_scope.value)
    # A member (no VIEW_REPORT) reads no report at all, not even of their own cell.
    member = User.objects.create_user("dv", password="x", role=Role.MEMBER, organisation=tree.cell_a)
    with pytest.raises(OutOfScope):
        selectors.progress_get(member)
    # Their own province's figures they read, from their scope root down.
    own = selectors.progress_get(officers.province)
    assert (own.code, own.members, own.count(Metric.CASE_PROPOSED)) == ("HN", 1, 1)
    assert selectors.progress_get(officers.hue_upper).members == 0


def test_the_children_come_in_code_order_and_say_whether_they_have_their_own(
    tree: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    _proposed(make_member, campaign, officers)
    _proposed(
        make_member,
        campaign,
        officers,
        org=tree.hue_cell,
        citizen_id="001080099999",
        old_card_number="87654321",
    )
    children = selectors.progress_children(officers.centre, code="TW", campaign=campaign)
    assert [(p.code, p.members, p.reached(Stage.PROPOSED), p.has_children) for p in children] == [
        ("HN", 1, 1, True),
        ("HUE", 1, 1, True),
    ]
    cells = selectors.progress_children(officers.centre, code="HN-BD-01", campaign=campaign)
    assert [(p.code, p.has_children) for p in cells] == [("HN-BD-01-01", False), ("HN-BD-01-02", False)]
    top = selectors.progress_get(officers.centre, campaign=campaign)
    assert (top.code, top.members, top.share(Stage.PROPOSED)) == ("TW", 2, 1.0)


def test_the_figures_of_a_past_day_and_the_daily_trend(
    tree: Any, officers: Any, campaign: Any, make_member: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "today", lambda: DAY1)
    case = _proposed(make_member, campaign, officers)
    monkeypatch.setattr(clock, "today", lambda: DAY2)
    case_transition(actor=officers.grassroots, case=case, transition=T.CONFIRM)

    def on(day: dt.date) -> tuple[int, int, int]:
        p = selectors.progress_get(officers.province, on=day, campaign=campaign)
        return p.members, p.count(Metric.CASE_PROPOSED), p.count(Metric.CASE_CONFIRMED)

    # On 1/9 nothing existed; on 2/9 the member was proposed; on 3/9 (today) confirmed.
    assert on(DAY0) == (0, 0, 0)
    assert on(DAY1) == (1, 1, 0)
    assert on(DAY2) == (1, 0, 1)
    trend = selectors.progress_trend(officers.province, code="HN", start=DAY0, end=DAY2, campaign=campaign)
    assert [(day, p.members, p.reached(Stage.PROPOSED), p.reached(Stage.CONFIRMED)) for day, p in trend] == [
        (DAY0, 0, 0, 0),
        (DAY1, 1, 1, 0),
        (DAY2, 1, 1, 1),
    ]
    assert all(p.on == day for day, p in trend)
    with pytest.raises(ValueError):
        selectors.progress_trend(officers.province, code="HN", start=DAY2, end=DAY1)


def test_the_slowest_committees_first_with_where_their_members_wait(
    tree: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    case = _proposed(make_member, campaign, officers)
    for actor, step in (
        (officers.grassroots, T.CONFIRM),
        (officers.upper, T.DECIDE),
        (officers.province, T.FORWARD),
        (officers.centre, T.ACCEPT),
    ):
        case = case_transition(actor=actor, case=case, transition=step)
    card_walk(Card.objects.get(case=case), officers)  # Ba Đình: handed over
    waiting = _proposed(
        make_member,
        campaign,
        officers,
        org=tree.hue_cell,
        citizen_id="001080099999",
        old_card_number="87654321",
    )
    Case.objects.filter(pk=waiting.pk).update(updated_at=clock.now() - dt.timedelta(days=5, hours=1))
    lagging = selectors.progress_lagging(officers.centre, code="TW", campaign=campaign)
    assert [lag.progress.code for lag in lagging] == ["HUE-TH", "HN-BD"]
    slow, done = lagging
    assert (slow.parent_name, slow.stuck_state, slow.stuck_count, slow.oldest_days) == (
        tree.hue.name,
        Metric.CASE_PROPOSED.value,
        1,
        5,
    )
    assert (slow.progress.share(Stage.HANDED_OVER), done.progress.share(Stage.HANDED_OVER)) == (0.0, 1.0)
    assert (done.stuck_state, done.stuck_count) == ("", 0)
    assert [lag.progress.code for lag in selectors.progress_lagging(officers.centre, code="TW", limit=1)] == [
        "HUE-TH"
    ]
    # At the grassroots level instead: the Huế grassroots cell, then the school.
    grassroots = selectors.progress_lagging(officers.centre, code="TW", level=4, campaign=campaign)
    assert [lag.progress.code for lag in grassroots] == ["HUE-TH-01"]


def test_breadcrumbs_run_from_the_actors_root_down(tree: Any, officers: Any) -> None:
    assert selectors.progress_breadcrumbs(officers.province, code="HN-BD-01-01") == [
        ("HN", tree.hanoi.name),
        ("HN-BD", tree.ba_dinh.name),
        ("HN-BD-01", tree.school.name),
        ("HN-BD-01-01", tree.cell_a.name),
    ]
    assert [code for code, _name in selectors.progress_breadcrumbs(officers.centre, code="HN")] == [
        "TW",
        "HN",
    ]


def test_the_campaign_reported_on_is_the_open_one_with_the_latest_cut_off(db: Any) -> None:
    assert selectors.campaign_current() is None
    old = Campaign.objects.create(code="dot-2024", name="2024", cut_off=dt.date(2024, 6, 30), is_open=False)
    assert selectors.campaign_current() == old
    open_ = Campaign.objects.create(code="dot-2026", name="2026", cut_off=dt.date(2026, 6, 30))
    Campaign.objects.create(code="dot-2027", name="2027", cut_off=dt.date(2027, 6, 30), is_open=False)
    assert selectors.campaign_current() == open_
