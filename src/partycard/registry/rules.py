"""The rules one member record must satisfy on its own, as (field, message) issues.

One function for every entry path: the model's ``clean()``, the web form, the API and the importer all
call :func:`member_issues`, so a row refused by one is refused by all with the same words. Rules across
rows (uniqueness) live in :mod:`partycard.registry.services`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from partycard.core.errors import FieldIssue
from partycard.core.text import invisible_characters
from partycard.registry.choices import MemberStatus
from partycard.registry.citizen_id import citizen_id_issues

__all__ = [
    "MemberFacts",
    "add_months",
    "configured_member_issues",
    "member_issues",
    "month_list_issue",
    "months_parse",
    "name_issue",
]

# ASCII digits only, matched whole (fullmatch): ``\d`` also matches "１２３" (full-width) and "١٢٣"
# (Arabic-Indic), and ``$`` matches before a trailing newline, so one number could be stored twice under
# two spellings that the uniqueness constraint sees as different.
FILE_NUMBER_RE = re.compile(r"[0-9]{6}[A-Z]{1,3}")
OLD_CARD_RE = re.compile(r"[0-9]{8}")
PHONE_RE = re.compile(r"0[0-9]{9}")
# A recorded month (dues unpaid, activities skipped): "YYYY-MM", as the member record stores it.
MONTH_RE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
FIRST_MONTH = dt.date(1930, 2, 1)  # the Party was founded on 3 February 1930


@dataclass(frozen=True)
class MemberFacts:
    """The fields the single-record rules look at."""

    full_name: str
    gender: str
    date_of_birth: dt.date | None
    citizen_id: str | None
    date_admitted: dt.date | None
    date_official: dt.date | None
    status: str
    file_number: str | None = None
    old_card_number: str | None = None
    phone: str | None = None
    birth_name: str = ""
    alias: str = ""


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the month's end (29/02 + 12 months → 28/02)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def months_parse(months: object) -> tuple[dt.date, ...]:
    """The recorded months ("YYYY-MM") as the first day of each; anything else in the list is skipped
    (the record's ``clean()`` refuses it: :func:`month_list_issue`)."""
    if not isinstance(months, list | tuple):
        return ()
    days = []
    for month in months:
        found = MONTH_RE.fullmatch(month) if isinstance(month, str) else None
        if found:
            days.append(dt.date(int(found[1]), int(found[2]), 1))
    return tuple(days)


def month_list_issue(months: object, *, today: dt.date) -> str | None:
    """Why ``months`` is not a list of recorded months (each "YYYY-MM", from the Party's founding to the
    month of ``today``: a month not yet begun cannot have been missed), or None."""
    if not isinstance(months, list):
        return _("Give a list of months (MM/YYYY).")
    bad = [str(m) for m in months if not isinstance(m, str) or not MONTH_RE.fullmatch(m)]
    if bad:
        return _("Not a month (YYYY-MM): %(values)s.") % {"values": ", ".join(bad[:3])}
    days = months_parse(months)
    if any(d > today or d < FIRST_MONTH for d in days):
        return _("A recorded month must lie between 02/1930 and the current month.")
    return None


def name_issue(name: str) -> str | None:
    """Why ``name`` cannot be a name (a member's or an organisation's), or None.

    Unicode TR #36 §2 / UTS #39 §3.1: bidi controls and zero-width characters make two different strings
    look the same (or one look like another), so they are refused outright rather than silently removed:
    the office must see what was in its file.
    """
    found = invisible_characters(name)
    if not found:
        return None
    return _(
        "contains invisible or direction-changing characters (%(chars)s); type the name again without them"
    ) % {"chars": ", ".join(found)}


def member_issues(
    facts: MemberFacts, *, today: dt.date, probation_months: int = 12, min_admission_age: int = 18
) -> list[FieldIssue]:
    """Every single-record rule ``facts`` breaks, with the field it concerns."""
    issues: list[FieldIssue] = []
    if not facts.full_name.strip():
        issues.append(FieldIssue("full_name", _("Full name is required.")))
    for name_field, value in (
        ("full_name", facts.full_name),
        ("birth_name", facts.birth_name),
        ("alias", facts.alias),
    ):
        problem = name_issue(value or "")
        if problem:
            issues.append(FieldIssue(name_field, _("The name %(problem)s.") % {"problem": problem}))
    dob = facts.date_of_birth
    if dob is not None and dob > today:
        issues.append(FieldIssue("date_of_birth", _("Date of birth is in the future.")))
    if facts.citizen_id:
        female = {"F": True, "M": False}.get(facts.gender)
        issues.extend(
            FieldIssue("citizen_id", _("Citizen ID %(reason)s.") % {"reason": reason})
            for reason in citizen_id_issues(facts.citizen_id, date_of_birth=dob, female=female)
        )
    admitted = facts.date_admitted
    if admitted is not None:
        if admitted > today:
            issues.append(FieldIssue("date_admitted", _("Date admitted is in the future.")))
        if dob is not None:
            adult_on = add_months(dob, 12 * min_admission_age)
            if admitted < adult_on:
                issues.append(
                    FieldIssue(
                        "date_admitted",
                        _("Date admitted %(admitted)s is before the %(age)dth birthday (%(adult)s).")
                        % {
                            "admitted": admitted.strftime("%d/%m/%Y"),
                            "age": min_admission_age,
                            "adult": adult_on.strftime("%d/%m/%Y"),
                        },
                    )
                )
    official = facts.date_official
    if official is not None:
        if official > today:
            issues.append(FieldIssue("date_official", _("Date made official is in the future.")))
        if admitted is not None:
            earliest = add_months(admitted, probation_months)
            if official < earliest:
                issues.append(
                    FieldIssue(
                        "date_official",
                        _(
                            "Date made official %(official)s is before the end of the %(months)d-month "
                            "probation (%(earliest)s)."
                        )
                        % {
                            "official": official.strftime("%d/%m/%Y"),
                            "months": probation_months,
                            "earliest": earliest.strftime("%d/%m/%Y"),
                        },
                    )
                )
    if facts.status == MemberStatus.PROBATIONARY and official is not None:
        issues.append(
            FieldIssue("date_official", _("A probationary member cannot have a date made official."))
        )
    if facts.status == MemberStatus.OFFICIAL and official is None:
        issues.append(FieldIssue("date_official", _("An official member needs the date made official.")))
    if facts.file_number and not FILE_NUMBER_RE.fullmatch(facts.file_number):
        issues.append(
            FieldIssue("file_number", _("File number must be 6 digits followed by 1–3 capital letters."))
        )
    if facts.old_card_number and not OLD_CARD_RE.fullmatch(facts.old_card_number):
        issues.append(FieldIssue("old_card_number", _("Old card number must be exactly 8 digits.")))
    if facts.phone and not PHONE_RE.fullmatch(facts.phone):
        issues.append(FieldIssue("phone", _("Phone number must be 10 digits starting with 0.")))
    return issues


def configured_member_issues(facts: MemberFacts, *, today: dt.date | None = None) -> list[FieldIssue]:
    """:func:`member_issues` with the project's settings (``PARTYCARD``) and, by default, today's date."""
    from django.conf import settings

    from partycard.core import clock

    options = settings.PARTYCARD
    return member_issues(
        facts,
        today=today or clock.today(),
        probation_months=options["PROBATION_MONTHS"],
        min_admission_age=options["MIN_ADMISSION_AGE"],
    )
