"""A dues month: its first day, its text ("YYYY-MM", as ``Member.dues_unpaid_months`` stores it), and the
months around it. Pure: no Django."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["month_end", "month_key", "month_label", "month_parse", "month_shift", "month_start"]

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
FIRST_YEAR = 1930  # the Party was founded on 3 February 1930: no dues before it


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month (a payment's month is stored so)."""
    return day.replace(day=1)


def month_parse(text: str) -> dt.date | None:
    """ "2026-09" (or "09/2026", as a Vietnamese page writes it) as 01/09/2026; None if it is no month."""
    text = text.strip()
    found = _MONTH.fullmatch(text)
    if found is None:
        parts = text.split("/")
        if len(parts) == 2 and parts[0].isdecimal() and parts[1].isdecimal() and len(parts[1]) == 4:
            found = _MONTH.fullmatch(f"{parts[1]}-{int(parts[0]):02d}") if parts[0].isascii() else None
    if found is None or int(found[1]) < FIRST_YEAR:
        return None
    return dt.date(int(found[1]), int(found[2]), 1)


def month_key(month: dt.date) -> str:
    """The month as the member record's list holds it: "YYYY-MM"."""
    return f"{month.year:04d}-{month.month:02d}"


def month_label(month: dt.date) -> str:
    """The month as a Vietnamese page writes it: "MM/YYYY"."""
    return f"{month.month:02d}/{month.year:04d}"


def month_shift(month: dt.date, by: int) -> dt.date:
    """The first day of the month ``by`` months after ``month`` (before it when negative)."""
    index = month.year * 12 + month.month - 1 + by
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    """The last day of ``month`` (December's without stepping into the next year: 12/9999 has one)."""
    if month.month == 12:
        return dt.date(month.year, 12, 31)
    return month_shift(month, 1) - dt.timedelta(days=1)
