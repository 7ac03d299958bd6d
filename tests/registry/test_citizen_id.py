import datetime as dt

from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from partycard.registry.citizen_id import PROVINCE_CODES, century_gender_digit, citizen_id_issues

BORN = dt.date(1980, 3, 12)


def issues(value: str, born: dt.date | None = BORN, female: bool | None = False) -> list[str]:
    with translation.override("en"):
        return citizen_id_issues(value, date_of_birth=born, female=female)


def test_a_well_formed_id_has_no_issue() -> None:
    assert issues("001080012345") == []
    assert issues("079185000001", female=True, born=dt.date(1985, 1, 1)) == []
    assert issues("001303000001", female=True, born=dt.date(2003, 7, 1)) == []


def test_length_and_digits() -> None:
    assert "12 digits" in issues("00108001234")[0]
    assert "12 digits" in issues("00108001234a")[0]
    assert "12 digits" in issues("٠٠١٠٨٠٠١٢٣٤٥")[0]  # Arabic-Indic digits are not ASCII digits


def test_province_code_must_exist() -> None:
    (problem,) = issues("003080012345")
    assert "003" in problem
    assert issues("097080012345") and issues("000080012345")


def test_century_gender_digit_must_match() -> None:
    (problem,) = issues("001180012345")  # 1 = woman born in the 1900s, but this is a man
    assert "digit 4" in problem and "0" in problem
    (problem,) = issues("001280012345", born=dt.date(1980, 3, 12))  # 2 = 2000s
    assert "digit 4" in problem


def test_year_digits_must_match_birth_year() -> None:
    (problem,) = issues("001081012345")
    assert "1980" in problem


def test_every_province_code_is_in_range() -> None:
    assert len(PROVINCE_CODES) == 63
    assert all("001" <= code <= "096" for code in PROVINCE_CODES)


@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)),
    female=st.booleans(),
    serial=st.integers(0, 999_999),
)
def test_any_consistent_id_is_accepted(province: str, born: dt.date, female: bool, serial: int) -> None:
    digit = century_gender_digit(year=born.year, female=female)
    value = f"{province}{digit}{born.year % 100:02d}{serial:06d}"
    assert issues(value, born=born, female=female) == []
    flipped = f"{province}{digit ^ 1}{born.year % 100:02d}{serial:06d}"
    assert issues(flipped, born=born, female=female) != []
