"""Eligibility: eligible exactly when no reason applies, every applicable reason listed, settings honoured."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from partycard.exchange.eligibility import Facts, ReasonCode, Rules, evaluate

CUT_OFF = dt.date(2025, 8, 8)
RULES = Rules(cut_off=CUT_OFF)
GOOD = Facts(status="official", date_official=dt.date(2010, 5, 19), has_current_card=True)

facts = st.builds(
    Facts,
    status=st.sampled_from(
        ["official", "probationary", "deceased", "removed", "expelled", "resigned", "transferred_out"]
    ),
    date_official=st.one_of(st.none(), st.dates(dt.date(1960, 1, 1), dt.date(2026, 12, 31))),
    has_current_card=st.booleans(),
    citizen_id_problem=st.one_of(st.none(), st.just("thiếu")),
    under_discipline=st.booleans(),
    under_inspection=st.booleans(),
    dues_months_unpaid=st.integers(0, 12),
    transfer_in_progress=st.booleans(),
    abroad=st.booleans(),
    data_problems=st.lists(st.just("ngày chính thức trước ngày vào Đảng"), max_size=2).map(tuple),
)


def test_an_official_member_with_a_card_in_good_standing_is_eligible() -> None:
    verdict = evaluate(GOOD, RULES)
    assert verdict.eligible and not verdict.reasons and not verdict.postponed


@given(facts)
def test_every_applicable_reason_is_listed(f: Facts) -> None:
    codes = evaluate(f, RULES).codes
    official = f.status == "official" and f.date_official is not None and f.date_official <= CUT_OFF
    assert (ReasonCode.NOT_OFFICIAL in codes) == (f.status in ("official", "probationary") and not official)
    assert (ReasonCode.NO_CURRENT_CARD in codes) == (not f.has_current_card)
    assert (ReasonCode.UNDER_DISCIPLINE in codes) == f.under_discipline
    assert (ReasonCode.UNDER_INSPECTION in codes) == f.under_inspection
    assert (ReasonCode.DUES_UNPAID in codes) == (f.dues_months_unpaid > RULES.max_dues_months_unpaid)
    assert (ReasonCode.TRANSFER_IN_PROGRESS in codes) == f.transfer_in_progress
    assert (ReasonCode.ABROAD in codes) == f.abroad
    assert (ReasonCode.DATA_INCOMPLETE in codes) == (f.citizen_id_problem is not None)
    assert (ReasonCode.DATA_INCONSISTENT in codes) == bool(f.data_problems)
    assert (ReasonCode.DECEASED in codes) == (f.status == "deceased")
    assert evaluate(f, RULES).eligible == (not codes)


@given(facts)
def test_every_reason_has_a_vietnamese_and_an_english_message(f: Facts) -> None:
    for reason in evaluate(f, RULES).reasons:
        assert reason.message_vi and reason.message_en and "{" not in reason.message_vi + reason.message_en


def test_official_after_the_cut_off_is_not_yet_eligible() -> None:
    late = dataclasses.replace(GOOD, date_official=CUT_OFF + dt.timedelta(days=1))
    assert evaluate(late, RULES).codes == {ReasonCode.NOT_OFFICIAL}
    assert evaluate(dataclasses.replace(late, date_official=CUT_OFF), RULES).eligible


def test_postponing_reasons_put_the_case_on_hold_others_refuse() -> None:
    on_hold = dataclasses.replace(GOOD, under_discipline=True, transfer_in_progress=True)
    assert evaluate(on_hold, RULES).postponed
    refused = dataclasses.replace(on_hold, has_current_card=False)
    assert not evaluate(refused, RULES).postponed and not evaluate(refused, RULES).eligible


def test_campaign_settings_change_the_outcome() -> None:
    owing = dataclasses.replace(GOOD, dues_months_unpaid=4, under_inspection=True, citizen_id_problem="thiếu")
    strict = evaluate(owing, RULES)
    assert strict.codes == {ReasonCode.DUES_UNPAID, ReasonCode.UNDER_INSPECTION, ReasonCode.DATA_INCOMPLETE}
    assert "4 tháng" in next(r.message_vi for r in strict.reasons if r.code == ReasonCode.DUES_UNPAID)
    lenient = Rules(
        cut_off=CUT_OFF, max_dues_months_unpaid=6, postpone_under_inspection=False, require_citizen_id=False
    )
    assert evaluate(owing, lenient).eligible


def test_a_campaign_carries_its_rule_settings(db: None) -> None:
    from partycard.exchange.models import Campaign

    campaign = Campaign.objects.create(
        code="2025",
        name="Đợt đổi thẻ 2025",
        cut_off=CUT_OFF,
        max_dues_months_unpaid=6,
        require_citizen_id=False,
    )
    rules = Campaign.objects.get(pk=campaign.pk).rules()
    assert rules == Rules(cut_off=CUT_OFF, max_dues_months_unpaid=6, require_citizen_id=False)
    owing = dataclasses.replace(GOOD, dues_months_unpaid=5, citizen_id_problem="thiếu")
    assert evaluate(owing, rules).eligible and not evaluate(owing, RULES).eligible
