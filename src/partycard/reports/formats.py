"""Numbers, percentages and dates as Vietnamese offices write them, for what leaves Django's templates: the
SVG charts, the .xlsx and PDF reports and the command line ("1.860", "45,3 %", "02/09/2026", and the
document date "ngày 02 tháng 9 năm 2026").

The separators come from the project's formats module (``partycard.formats.vi``), the same the pages use
through Django's l10n, so a page and its export never disagree. No Django here.
"""

from __future__ import annotations

import datetime as dt

from partycard.formats.vi import formats as _vi

__all__ = ["vi_date", "vi_document_date", "vi_int", "vi_percent"]


def vi_int(value: int) -> str:
    """``1860`` → ``"1.860"`` (a dot between groups of three)."""
    return _swap(f"{int(value):,}")


def vi_percent(fraction: float, *, digits: int = 1) -> str:
    """``0.4531`` → ``"45,3 %"``: a decimal comma, and a space before the sign as in Vietnamese text."""
    return _swap(f"{fraction * 100:,.{digits}f}") + " %"


def _swap(english: str) -> str:
    """ "1,234.5" (Python's grouping) → "1.234,5"."""
    return (
        english.replace(",", "\0").replace(".", _vi.DECIMAL_SEPARATOR).replace("\0", _vi.THOUSAND_SEPARATOR)
    )


def vi_date(day: dt.date | None) -> str:
    """dd/mm/yyyy, the way the pages show a date; empty for None."""
    return day.strftime("%d/%m/%Y") if day else ""


def vi_document_date(day: dt.date) -> str:
    """The date line of a Party document: "ngày 03 tháng 4 năm 2018".

    Hướng dẫn 36-HD/VPTW (its own header reads "Hà Nội, ngày 03 tháng 4 năm 2018") and Decree
    30/2020/NĐ-CP, Appendix I, write days below 10 and the months 1 and 2 with a leading zero, so that no
    digit can be added before them afterwards; the other months have none.
    """
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"
