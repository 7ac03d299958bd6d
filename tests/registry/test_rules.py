import datetime as dt

import pytest
from django.utils import translation

from partycard.registry.rules import MemberFacts, add_months, member_issues

TODAY = dt.date(2026, 11, 25)


def facts(**kw: object) -> MemberFacts:
    base: dict[str, object] = {
        "full_name": "Nguyễn Văn An",
        "gender": "M",
        "date_of_birth": dt.date(1980, 3, 12),
        "citizen_id": "001080012345",
        "date_admitted": dt.date(2005, 5, 19),
        "date_official": dt.date(2006, 5, 19),
        "status": "official",
    }
    base.update(kw)
    return MemberFacts(**base)  # type: ignore[arg-type]


def fields(f: MemberFacts, **kw: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with translation.override("en"):
        for issue in member_issues(f, today=TODAY, **kw):
            out.setdefault(issue.field, []).append(issue.message)
    return out


def test_valid_record() -> None:
    assert fields(facts()) == {}


def test_admitted_before_18th_birthday() -> None:
    problems = fields(facts(date_admitted=dt.date(1998, 3, 11), date_official=dt.date(1999, 3, 11)))
    assert list(problems) == ["date_admitted"]
    assert "12/03/1998" in problems["date_admitted"][0]
    assert fields(facts(date_admitted=dt.date(1998, 3, 12), date_official=dt.date(1999, 3, 12))) == {}


def test_official_before_probation_ends() -> None:
    problems = fields(facts(date_official=dt.date(2006, 5, 18)))
    assert list(problems) == ["date_official"]
    assert "19/05/2006" in problems["date_official"][0]


def test_probation_is_configurable() -> None:
    assert "date_official" in fields(facts(), probation_months=18)
    assert fields(facts(date_official=dt.date(2006, 11, 19)), probation_months=18) == {}


def test_status_and_official_date_agree() -> None:
    assert "date_official" in fields(facts(status="probationary"))
    assert "date_official" in fields(facts(date_official=None))
    assert fields(facts(status="probationary", date_official=None)) == {}


def test_future_dates() -> None:
    problems = fields(facts(date_admitted=dt.date(2027, 1, 1), date_official=None, status="probationary"))
    assert "date_admitted" in problems


def test_citizen_id_reasons_name_the_field() -> None:
    problems = fields(facts(citizen_id="001180012345"))
    assert list(problems) == ["citizen_id"]


def test_formats_of_other_numbers() -> None:
    problems = fields(facts(file_number="12345HN", old_card_number="1234567", phone="12345"))
    assert set(problems) == {"file_number", "old_card_number", "phone"}
    assert fields(facts(file_number="123456HN", old_card_number="01234567", phone="0912345678")) == {}


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2025, 11, 30), 3, dt.date(2026, 2, 28)),
        (dt.date(2025, 5, 19), 12, dt.date(2026, 5, 19)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_messages_are_vietnamese_in_the_ui_language() -> None:
    with translation.override("vi"):
        (issue,) = member_issues(facts(date_official=dt.date(2006, 5, 18)), today=TODAY)
    assert "thử thách" in issue.message or "chính thức" in issue.message.lower()
