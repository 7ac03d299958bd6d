"""The working-day deadlines of a transfer, on the Vietnamese public-holiday calendar (pure: no Django).

DOMAIN.md, "Card management rules": "Transfer of membership (chuyển sinh hoạt đảng): official, temporary or
internal; start within 60 working days of the decision, present the introduction letter within 30 days."
Both counts are working days here: the 60 by DOMAIN.md's words, the 30 as the same rule counts them (a
setting, ``TRANSFER_PRESENT_WORKING_DAYS``, if the source is read otherwise).

A working day is Monday to Friday, not a public holiday, plus the Saturdays the Government makes working days
when it moves a day off (as 22/08/2026 for 31/08/2026). The calendar is the maintained ``holidays`` library's
Vietnam (Labour Code 2019 Art. 112: New Year, Tết by the lunar calendar, Hùng Kings, 30/4, 1/5, 2/9 and the
day before or after, and the substituted days off the Government announces), not a list kept here.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays

__all__ = [
    "PRESENT_WORKING_DAYS",
    "START_WORKING_DAYS",
    "holiday_name",
    "is_working_day",
    "present_deadline",
    "start_deadline",
    "working_days_after",
    "working_days_between",
]

#: DOMAIN.md: "start within 60 working days of the decision".
START_WORKING_DAYS = 60
#: DOMAIN.md: "present the introduction letter within 30 days" (working days, see the module docstring).
PRESENT_WORKING_DAYS = 30


@cache
def _calendar() -> holidays.HolidayBase:
    # One calendar for the process; it fills in each year on first use (the library's own expansion).
    return holidays.country_holidays("VN")


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day in Viet Nam (module docstring)."""
    return bool(_calendar().is_working_day(day))


def holiday_name(day: dt.date) -> str | None:
    """The public holiday on ``day`` as the calendar names it, or None."""
    name = _calendar().get(day)
    return str(name) if name else None


def working_days_after(start: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``start`` (``start`` itself not counted): the last day of a
    deadline of ``count`` working days that runs from ``start``.

    Raises:
        ValueError: ``count`` is not positive.
    """
    if count < 1:
        raise ValueError("a deadline counts at least one working day")
    return _calendar().get_nth_working_day(start, count)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days fall after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count


def start_deadline(decided_on: dt.date, working_days: int = START_WORKING_DAYS) -> dt.date:
    """The last day to issue the introduction letter for a decision of ``decided_on``."""
    return working_days_after(decided_on, working_days)


def present_deadline(issued_on: dt.date, working_days: int = PRESENT_WORKING_DAYS) -> dt.date:
    """The last day to present a letter issued on ``issued_on`` to the receiving side."""
    return working_days_after(issued_on, working_days)
