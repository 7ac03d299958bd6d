"""Working days on the Vietnamese calendar, checked against the days off the Government announced.

The expected dates are read off the 2026 calendar (the Prime Minister's announcements of the 2026 days
off, as the `holidays` library records them): Tết Bính Ngọ from Monday 16/02 to Friday 20/02 (with the
weekends around it, 14/02–22/02); Hùng Kings on Sunday 26/04, observed Monday 27/04; 30/04 and 01/05
(Thursday, Friday); National Day 01/09–02/09 (Tuesday, Wednesday) with Monday 31/08 off in exchange for
working Saturday 22/08.
"""

from __future__ import annotations

import datetime as dt

import pytest

from partycard.transfers import deadlines

D = dt.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 2, 13), True),  # Friday before Tết
        (D(2026, 2, 16), False),  # Tết's eve
        (D(2026, 2, 17), False),  # Mùng 1 Tết
        (D(2026, 2, 20), False),
        (D(2026, 2, 23), True),  # back to work
        (D(2026, 4, 27), False),  # Hùng Kings, observed
        (D(2026, 4, 30), False),
        (D(2026, 5, 1), False),
        (D(2026, 5, 2), False),  # a Saturday
        (D(2026, 8, 22), True),  # a Saturday worked in exchange for Monday 31/08
        (D(2026, 8, 31), False),
        (D(2026, 9, 1), False),
        (D(2026, 9, 2), False),
        (D(2026, 9, 3), True),
    ],
)
def test_the_2026_calendar(day: dt.date, working: bool) -> None:
    assert deadlines.is_working_day(day) is working


def test_a_day_after_the_friday_before_tet_is_the_monday_after_it() -> None:
    assert deadlines.working_days_after(D(2026, 2, 13), 1) == D(2026, 2, 23)


def test_across_reunification_and_labour_day() -> None:
    assert deadlines.working_days_after(D(2026, 4, 29), 1) == D(2026, 5, 4)
    assert deadlines.working_days_after(D(2026, 4, 24), 1) == D(2026, 4, 28)  # Monday 27/04 is Hùng Kings'


def test_across_national_day_and_its_worked_saturday() -> None:
    assert deadlines.working_days_after(D(2026, 8, 21), 1) == D(2026, 8, 22)
    assert deadlines.working_days_after(D(2026, 8, 28), 1) == D(2026, 9, 3)


def test_sixty_working_days_over_tet() -> None:
    """A decision of Monday 05/01/2026: January has 19 working days after it (06/01–30/01), February 10
    (02/02–13/02; Tết takes 16/02–20/02) plus 23/02–27/02 (5), March 22, so the 60th falls in April:
    19 + 15 + 22 = 56, then 01/04, 02/04, 03/04, 06/04."""
    assert deadlines.start_deadline(D(2026, 1, 5)) == D(2026, 4, 6)


def test_thirty_working_days_over_reunification_and_labour_day() -> None:
    """A letter of Monday 20/04/2026: 21–24/04 (4), 28–29/04 (2; 27/04, 30/04, 01/05 off), May 04–29
    (20): 26, then 01/06–04/06: the 30th is Thursday 04/06."""
    assert deadlines.present_deadline(D(2026, 4, 20)) == D(2026, 6, 4)


def test_count_between_and_names() -> None:
    assert deadlines.working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1
    assert deadlines.working_days_between(D(2026, 2, 23), D(2026, 2, 13)) == 0
    assert deadlines.holiday_name(D(2026, 9, 2)) is not None
    assert deadlines.holiday_name(D(2026, 9, 3)) is None
    with pytest.raises(ValueError):
        deadlines.working_days_after(D(2026, 1, 5), 0)
