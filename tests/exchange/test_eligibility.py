"""Eligibility: each rule pinned at its boundaries from the text it comes from (the Party Charter, DOMAIN.md,
the directive), and properties that hold whatever the facts, none of them a copy of the rule it checks."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partycard.exchange.eligibility import ENDING, Facts, ReasonCode, Rules, evaluate

CUT_OFF = dt.date(2025, 8, 8)
TODAY = dt.date(2026, 6, 15)  # the day of evaluation: the year before it is July 2025 to June 2026
RULES = Rules(cut_off=CUT_OFF)
GOOD = Facts(status="official", date_official=dt.date(2010, 5, 19), has_current_card=True)

# Party Charter, Art. 8(2).
CHARTER_8_2 = (
    "a member who, without good reason, skips party activities or does not pay dues for three months "
    "within a year is considered by the cell for removal"
)


def _month(year: int, month: int) -> dt.date:
    return dt.date(year, month, 1)


def _verdict(**changes: object):  # type: ignore[no-untyped-def]
    return evaluate(dataclasses.replace(GOOD, **changes), RULES, today=TODAY)


def test_an_official_member_with_a_card_in_good_standing_is_eligible() -> None:
    verdict = evaluate(GOOD, RULES, today=TODAY)
    assert verdict.eligible and not verdict.reasons and not verdict.postponed


# -- Charter Art. 8(2): three months within a year, without good reason -----------------------------------

# (months field, its good-reason flag, the code it yields)
CONDUCT = [
    ("dues_unpaid_months", "dues_unpaid_good_reason", ReasonCode.DUES_UNPAID),
    ("activities_skipped_months", "activities_skipped_good_reason", ReasonCode.ACTIVITIES_SKIPPED),
]


@pytest.mark.parametrize(("months", "good_reason", "code"), CONDUCT)
def test_two_months_within_a_year_pass(months: str, good_reason: str, code: ReasonCode) -> None:
    """Fewer than "three months within a year": not a ground for removal."""
    verdict = _verdict(**{months: (_month(2026, 1), _month(2026, 5))})
    assert verdict.eligible, CHARTER_8_2


@pytest.mark.parametrize(("months", "good_reason", "code"), CONDUCT)
def test_three_months_within_a_year_refuse(months: str, good_reason: str, code: ReasonCode) -> None:
    """ "Three months within a year": three is enough (not four), and it refuses, it does not postpone."""
    verdict = _verdict(**{months: (_month(2025, 11), _month(2026, 1), _month(2026, 5))})
    assert verdict.codes == {code}, CHARTER_8_2
    assert not verdict.postponed and not verdict.ended
    assert "3" in verdict.reasons[0].message_en


@pytest.mark.parametrize(("months", "good_reason", "code"), CONDUCT)
def test_three_months_with_good_reason_pass(months: str, good_reason: str, code: ReasonCode) -> None:
    """ "Without good reason": with one, the months are not a ground for removal."""
    verdict = _verdict(**{months: (_month(2025, 11), _month(2026, 1), _month(2026, 5)), good_reason: True})
    assert verdict.eligible, CHARTER_8_2


@pytest.mark.parametrize(("months", "good_reason", "code"), CONDUCT)
def test_three_months_over_thirteen_months_pass(months: str, good_reason: str, code: ReasonCode) -> None:
    """ "Within a year" is a rolling year: June 2025, December 2025 and June 2026 span 13 months, and no
    year holds all three; the year before 15/06/2026 holds two."""
    verdict = _verdict(**{months: (_month(2025, 6), _month(2025, 12), _month(2026, 6))})
    assert verdict.eligible, CHARTER_8_2


@pytest.mark.parametrize(("months", "good_reason", "code"), CONDUCT)
def test_three_months_over_twelve_months_refuse(months: str, good_reason: str, code: ReasonCode) -> None:
    """July 2025 to June 2026 is twelve months: "within a year"."""
    verdict = _verdict(**{months: (_month(2025, 7), _month(2025, 12), _month(2026, 6))})
    assert verdict.codes == {code}, CHARTER_8_2


def test_a_month_counts_once_whatever_day_recorded_it() -> None:
    """Dues and activities are monthly: two days of one month are one month."""
    verdict = _verdict(dues_unpaid_months=(dt.date(2026, 5, 1), dt.date(2026, 5, 20), _month(2026, 4)))
    assert verdict.eligible


def test_the_threshold_is_the_campaign_s() -> None:
    """Three is the Charter's number and the default; a campaign may set another (``removal_months``)."""
    three = dataclasses.replace(GOOD, dues_unpaid_months=(_month(2026, 3), _month(2026, 4), _month(2026, 5)))
    four = dataclasses.replace(three, dues_unpaid_months=(*three.dues_unpaid_months, _month(2026, 6)))
    lenient = Rules(cut_off=CUT_OFF, removal_months=4)
    assert Rules(cut_off=CUT_OFF).removal_months == 3
    assert evaluate(three, lenient, today=TODAY).eligible
    assert evaluate(four, lenient, today=TODAY).codes == {ReasonCode.DUES_UNPAID}


def test_suspended_activities_postpone() -> None:
    """DOMAIN.md: "A member whose activities are suspended (đình chỉ sinh hoạt) waits.\""""
    verdict = _verdict(activities_suspended=True)
    assert verdict.codes == {ReasonCode.ACTIVITIES_SUSPENDED}
    assert verdict.postponed and not verdict.eligible


# -- Transfer, abroad, leaving -------------------------------------------------------------------------------


def test_only_a_transfer_in_progress_postpones_and_the_campaign_may_turn_it_off() -> None:
    """DOMAIN.md: "A transfer is not leaving the Party"; "only a transfer in progress may postpone
    (campaign setting)"."""
    moving = dataclasses.replace(GOOD, transfer_in_progress=True)
    verdict = evaluate(moving, RULES, today=TODAY)
    assert verdict.codes == {ReasonCode.TRANSFER_IN_PROGRESS} and verdict.postponed and not verdict.ended
    assert evaluate(moving, Rules(cut_off=CUT_OFF, postpone_transfer_in_progress=False), today=TODAY).eligible


def test_a_transferred_status_is_not_leaving_the_party() -> None:
    """Only leaving at one's own request is LEFT; no other status than the registry's ending ones ends."""
    assert _verdict(status="resigned").codes == {ReasonCode.LEFT}
    assert ReasonCode.LEFT in ENDING
    assert not _verdict(status="transferred_out").ended  # no such status now: at most "not official"


def test_being_abroad_is_not_a_fact_of_eligibility() -> None:
    """DOMAIN.md: "being abroad does not change a member's standing ... a setting, never a refusal"."""
    assert "abroad" not in {f.name for f in dataclasses.fields(Facts)}
    assert "abroad" not in {c.value for c in ReasonCode}


# -- The other rules ----------------------------------------------------------------------------------------


def test_official_after_the_cut_off_is_not_yet_eligible() -> None:
    """Directive 51-CT/TW: only official members get a new card (official on the campaign's cut-off)."""
    late = dataclasses.replace(GOOD, date_official=CUT_OFF + dt.timedelta(days=1))
    assert evaluate(late, RULES, today=TODAY).codes == {ReasonCode.NOT_OFFICIAL}
    assert evaluate(dataclasses.replace(late, date_official=CUT_OFF), RULES, today=TODAY).eligible


def test_postponing_reasons_put_the_case_on_hold_others_refuse() -> None:
    on_hold = dataclasses.replace(GOOD, under_discipline=True, transfer_in_progress=True)
    assert evaluate(on_hold, RULES, today=TODAY).postponed
    refused = dataclasses.replace(on_hold, has_current_card=False)
    assert not evaluate(refused, RULES, today=TODAY).postponed
    assert not evaluate(refused, RULES, today=TODAY).eligible


def test_campaign_settings_change_the_outcome() -> None:
    owing = dataclasses.replace(GOOD, under_inspection=True, citizen_id_problem="thiếu")
    strict = evaluate(owing, RULES, today=TODAY)
    assert strict.codes == {ReasonCode.UNDER_INSPECTION, ReasonCode.DATA_INCOMPLETE}
    lenient = Rules(cut_off=CUT_OFF, postpone_under_inspection=False, require_citizen_id=False)
    assert evaluate(owing, lenient, today=TODAY).eligible


def test_a_campaign_carries_its_rule_settings(db: None) -> None:
    from partycard.exchange.models import Campaign

    campaign = Campaign.objects.create(
        code="2025", name="Đợt đổi thẻ 2025", cut_off=CUT_OFF, removal_months=6, require_citizen_id=False
    )
    rules = Campaign.objects.get(pk=campaign.pk).rules()
    assert rules == Rules(cut_off=CUT_OFF, removal_months=6, require_citizen_id=False)


# -- Properties ---------------------------------------------------------------------------------------------

months = st.lists(st.dates(dt.date(2024, 1, 1), TODAY), max_size=8).map(tuple)
facts = st.builds(
    Facts,
    status=st.sampled_from(["official", "probationary", "deceased", "removed", "expelled", "resigned"]),
    date_official=st.one_of(st.none(), st.dates(dt.date(1960, 1, 1), dt.date(2026, 12, 31))),
    has_current_card=st.booleans(),
    citizen_id_problem=st.one_of(st.none(), st.just("thiếu")),
    under_discipline=st.booleans(),
    under_inspection=st.booleans(),
    dues_unpaid_months=months,
    dues_unpaid_good_reason=st.booleans(),
    activities_skipped_months=months,
    activities_skipped_good_reason=st.booleans(),
    activities_suspended=st.booleans(),
    transfer_in_progress=st.booleans(),
    data_problems=st.lists(st.just("ngày chính thức trước ngày vào Đảng"), max_size=2).map(tuple),
)


@given(facts)
def test_eligible_means_no_reason_and_each_flag_yields_its_code(f: Facts) -> None:
    verdict = evaluate(f, RULES, today=TODAY)
    assert verdict.eligible == (not verdict.reasons)
    assert (ReasonCode.NO_CURRENT_CARD in verdict.codes) == (not f.has_current_card)
    assert (ReasonCode.UNDER_DISCIPLINE in verdict.codes) == f.under_discipline
    assert (ReasonCode.UNDER_INSPECTION in verdict.codes) == f.under_inspection
    assert (ReasonCode.ACTIVITIES_SUSPENDED in verdict.codes) == f.activities_suspended
    assert (ReasonCode.TRANSFER_IN_PROGRESS in verdict.codes) == f.transfer_in_progress
    assert (ReasonCode.DATA_INCOMPLETE in verdict.codes) == (f.citizen_id_problem is not None)
    assert (ReasonCode.DATA_INCONSISTENT in verdict.codes) == bool(f.data_problems)
    assert (ReasonCode.DECEASED in verdict.codes) == (f.status == "deceased")
    assert verdict.ended == bool(verdict.codes & ENDING)


@given(facts)
def test_a_good_reason_clears_the_months_and_never_anything_else(f: Facts) -> None:
    excused = dataclasses.replace(f, dues_unpaid_good_reason=True, activities_skipped_good_reason=True)
    codes, excused_codes = evaluate(f, RULES, today=TODAY).codes, evaluate(excused, RULES, today=TODAY).codes
    assert excused_codes == codes - {ReasonCode.DUES_UNPAID, ReasonCode.ACTIVITIES_SKIPPED}


@given(facts, months)
def test_more_months_never_make_a_member_eligible(f: Facts, more: tuple[dt.date, ...]) -> None:
    worse = dataclasses.replace(
        f,
        dues_unpaid_months=f.dues_unpaid_months + more,
        activities_skipped_months=f.activities_skipped_months + more,
    )
    assert evaluate(f, RULES, today=TODAY).codes <= evaluate(worse, RULES, today=TODAY).codes


@given(facts, st.lists(st.dates(dt.date(1990, 1, 1), dt.date(2025, 6, 30)), max_size=12).map(tuple))
def test_months_more_than_a_year_before_do_not_count(f: Facts, old: tuple[dt.date, ...]) -> None:
    """June 2025 and before is outside the year that ends in June 2026."""
    with_old = dataclasses.replace(
        f,
        dues_unpaid_months=old + f.dues_unpaid_months,
        activities_skipped_months=f.activities_skipped_months + old,
    )
    assert evaluate(with_old, RULES, today=TODAY) == evaluate(f, RULES, today=TODAY)


@given(facts)
def test_every_reason_has_an_english_message_filled_in(f: Facts) -> None:
    for reason in evaluate(f, RULES, today=TODAY).reasons:
        assert reason.message_en and "%(" not in reason.message_en
        assert reason.message(lambda msgid: f"[vi] {msgid}") == f"[vi] {reason.message_en}"  # translated
