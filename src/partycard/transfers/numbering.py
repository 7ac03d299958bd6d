"""The numbers of the introduction letters: per sending committee and year, from 1, with no gaps.

A number is taken inside the transaction that issues the letter, under a row lock on the committee's
counter for the year (``select_for_update``): two officers issuing at once wait for each other and get
consecutive numbers, and a transaction that rolls back gives its number back with it, so none is skipped
(a gap in a register of outgoing documents is what an inspector asks about). The counter row is created
with ``INSERT … ON CONFLICT DO NOTHING`` (``bulk_create(ignore_conflicts=True)``), so the first letters of a
year racing each other do not fail either. [U] The format ``<n>-GGT/<committee code>`` follows the Party's
"number-abbreviation/issuer" numbering of documents; the year is the letter's date's.
"""

from __future__ import annotations

from django.db import transaction

from partycard.registry.models import Organisation
from partycard.transfers.models import LetterCounter

__all__ = ["letter_number", "letter_number_take"]


def letter_number(seq: int, committee: Organisation) -> str:
    """The letter's number as printed: ``"7-GGT/HN"``."""
    return f"{seq}-GGT/{committee.code}"


def letter_number_take(*, committee: Organisation, year: int) -> int:
    """The next number of ``committee``'s letters in ``year``; call inside the issuing transaction.

    Raises:
        RuntimeError: called outside a transaction (the number would not roll back with the letter).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("letter_number_take() belongs inside the transaction that issues the letter")
    LetterCounter.objects.bulk_create(
        [LetterCounter(committee=committee, year=year, last=0)], ignore_conflicts=True
    )
    counter = LetterCounter.objects.select_for_update().get(committee=committee, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last
