"""The printed party card: print-ready PDF pages for the manufacturer and the proof an officer approves.

Skeleton: the API others build on; the renderer follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from partycard.printing.layout import Layout

__all__ = ["CardPrint", "cards_pdf", "proof_pdf"]


@dataclass(frozen=True)
class CardPrint:
    """What is printed on one card (DOMAIN.md: the member summary, the issuing committee and date).

    ``gender`` is "M" or "F" (printed "Nam" / "Nữ"); ``photo_jpeg`` is the member's photo as JPEG (any
    size: it is resampled to the layout's photo box at 300 dpi).
    """

    card_number: str
    full_name: str
    date_of_birth: date
    gender: str
    date_admitted: date
    date_official: date
    issuing_committee: str
    issue_date: date
    photo_jpeg: bytes


def cards_pdf(cards: Iterable[CardPrint], *, layout: Layout) -> bytes:
    """The print-ready PDF: for each card a front page then a back page."""
    raise NotImplementedError


def proof_pdf(*, layout: Layout, sample: CardPrint) -> bytes:
    """An A4 proof page of ``layout`` filled with ``sample``, for an officer to approve."""
    raise NotImplementedError
