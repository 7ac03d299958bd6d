"""Who owes party dues for a month: one rule, in one place (STYLE.md rule 6).

Party Charter Art. 2(4): a member "sinh hoạt đảng và đóng đảng phí đúng quy định" (takes part in party
activities and pays dues as regulated); a probationary member has a member's duties (Charter Art. 5). So a
member owes dues for a month when, that month, they were a probationary or official member of the cell:
admitted on or before its last day, and still active (not deceased, removed, expelled or resigned).

Exceptions, each configurable (``settings.PARTYCARD``), since no public text settles them:

* ``DUES_SUSPENDED_OWE`` (default False) — a member whose party activities are suspended (đình chỉ sinh
  hoạt) is not put in arrears: DOMAIN.md "A member whose activities are suspended waits" [U for dues];
* "without good reason" (Charter Art. 8(2)) is not an exception here: the month is recorded as unpaid and
  the cell's judgement of a good reason (``Member.dues_unpaid_good_reason``) is what the eligibility rule
  reads (exchange/eligibility.py).

Pure over plain values (the member's status, dates and flag), so the pages, the job and the tests share it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from partycard.dues.months import month_end

__all__ = ["ACTIVE", "owes_dues", "owes_dues_of", "suspended_owe"]

# Charter Art. 2(4) and Art. 5: official and probationary members pay dues.
ACTIVE: frozenset[str] = frozenset({"official", "probationary"})


def suspended_owe() -> bool:
    """``DUES_SUSPENDED_OWE``: whether a member whose activities are suspended owes dues (default False)."""
    from django.conf import settings

    return bool(settings.PARTYCARD.get("DUES_SUSPENDED_OWE", False))


def owes_dues(
    *, status: str, date_admitted: dt.date, activities_suspended: bool, month: dt.date, suspended: bool
) -> bool:
    """Whether a member with these facts owed dues for ``month`` (its first day).

    Args:
        suspended: whether suspended members owe (``suspended_owe()``), passed in to keep this pure.
    """
    if status not in ACTIVE or date_admitted > month_end(month):
        return False
    return suspended or not activities_suspended


def owes_dues_of(member: Any, month: dt.date, *, suspended: bool) -> bool:
    """:func:`owes_dues` for a member record (anything with the member's fields)."""
    return owes_dues(
        status=member.status, date_admitted=member.date_admitted,
        activities_suspended=member.activities_suspended, month=month, suspended=suspended,
    )  # fmt: skip
