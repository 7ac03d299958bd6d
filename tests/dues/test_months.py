"""The month helpers and the rule of who owes dues (liability.py), from Charter Art. 2(4) and Art. 5."""

from __future__ import annotations

import datetime as dt

import pytest

from partycard.dues.forms import parse_amount
from partycard.dues.guidance import guidance, percent_of
from partycard.dues.liability import owes_dues
from partycard.dues.months import month_end, month_key, month_label, month_parse, month_shift


def test_months_parse_both_ways_of_writing_them() -> None:
    assert month_parse("2026-09") == dt.date(2026, 9, 1)
    assert month_parse("09/2026") == dt.date(2026, 9, 1)
    assert month_parse("9/2026") == dt.date(2026, 9, 1)
    assert month_end(dt.date(9999, 12, 1)) == dt.date(9999, 12, 31)
    for bad in ("2026-13", "2026-9", "13/2026", "", "x", "٠٩/٢٠٢٦", "0000-01", "1929-12"):
        assert month_parse(bad) is None, bad
    assert month_key(dt.date(2026, 1, 1)) == "2026-01" and month_label(dt.date(2026, 1, 1)) == "01/2026"
    assert month_shift(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert month_end(dt.date(2024, 2, 1)) == dt.date(2024, 2, 29)


BASE = {"date_admitted": dt.date(2020, 1, 1), "activities_suspended": False, "suspended": False}


@pytest.mark.parametrize(
    ("status", "owes"),
    [("official", True), ("probationary", True), ("deceased", False), ("removed", False), ("expelled", False),
     ("resigned", False)],
)  # fmt: skip
def test_official_and_probationary_members_owe_dues(status: str, owes: bool) -> None:
    """Charter Art. 2(4): a member pays dues; Art. 5: a probationary member has a member's duties."""
    assert owes_dues(status=status, month=dt.date(2026, 9, 1), **BASE) is owes  # type: ignore[arg-type]


def test_a_member_admitted_during_the_month_owes_it_one_admitted_after_does_not() -> None:
    month = dt.date(2026, 9, 1)
    during = {**BASE, "date_admitted": dt.date(2026, 9, 30)}
    after = {**BASE, "date_admitted": dt.date(2026, 10, 1)}
    assert owes_dues(status="probationary", month=month, **during)  # type: ignore[arg-type]
    assert not owes_dues(status="probationary", month=month, **after)  # type: ignore[arg-type]


def test_suspended_activities_are_an_exception_unless_configured_otherwise() -> None:
    month = dt.date(2026, 9, 1)
    args = {**BASE, "activities_suspended": True}
    assert not owes_dues(status="official", month=month, **args)  # type: ignore[arg-type]
    assert owes_dues(status="official", month=month, **{**args, "suspended": True})  # type: ignore[arg-type]


def test_amounts_as_typed_on_a_vietnamese_page() -> None:
    assert parse_amount("50.000") == 50000 and parse_amount(" 83 500 ") == 83500 and parse_amount("") is None
    for bad in ("-5", "5,5a", "５０"):
        with pytest.raises(ValueError):
            parse_amount(bad)


def test_the_default_guidance_is_one_percent_of_salary(settings: object) -> None:
    """DOMAIN.md: "Dues (đảng phí): 1% of salary." — and a deployment's own lines replace it."""
    (line,) = guidance()
    assert line.percent == 1 and "1" in line.text()
    assert percent_of(8_350_000, 1) == 83_500
    settings.PARTYCARD = {**settings.PARTYCARD, "DUES_GUIDANCE": [{"label": "Khác", "amount": 5000}]}  # type: ignore[attr-defined]
    (line,) = guidance()
    assert line.amount == 5000 and "5.000" in line.text()
