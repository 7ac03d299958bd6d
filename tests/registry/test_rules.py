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


# Issue 12: codes are ASCII digits only. "\d" matched full-width (U+FF10…) and Arabic-Indic (U+0660…)
# digits, and "$" a trailing newline, so one number could be stored twice under two spellings.
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("old_card_number", "１２３４５６７８"),
        ("old_card_number", "١٢٣٤٥٦٧٨"),
        ("old_card_number", "12345678\n"),
        ("file_number", "０００１２３HN"),
        ("file_number", "000123HN\n"),
        ("phone", "０９１２３４５６７８"),
        ("phone", "0912345678\n"),
    ],
)
def test_codes_accept_ascii_digits_only(field: str, value: str) -> None:
    assert field in fields(facts(**{field: value}))
    ascii_value = {"old_card_number": "12345678", "file_number": "000123HN", "phone": "0912345678"}[field]
    assert field not in fields(facts(**{field: ascii_value}))


# Unicode TR #36 §2 / UTS #39 §3.1: bidi controls and zero-width characters make one name look like another.
@pytest.mark.parametrize(
    "bad",
    ["\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u200d",
     "\u2060", "\ufeff", "\u00ad", "\u3164", "\ufe0f", "\x00", "\u2028"],
)  # fmt: skip
@pytest.mark.parametrize("field", ["full_name", "birth_name", "alias"])
def test_names_refuse_invisible_and_direction_changing_characters(field: str, bad: str) -> None:
    found = fields(facts(**{field: f"Nguyễn Văn{bad} An"}))
    assert field in found and f"U+{ord(bad):04X}" in found[field][0]
    assert "invisible or direction-changing" in found[field][0]


def test_vietnamese_names_with_every_diacritic_pass() -> None:
    name = "Đặng Thị Ỷ Lan Nguyễn Hữu Ước Phạm Quỳnh Ưng Vũ Thị Ửng"
    assert fields(facts(full_name=name, birth_name=name, alias="Bác Ba")) == {}
