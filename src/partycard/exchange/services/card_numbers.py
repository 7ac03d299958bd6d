"""Allocating national card numbers (card_number.py has the format)."""

from __future__ import annotations

from django.db import connection, transaction

from partycard.cards import card_number
from partycard.core import clock
from partycard.exchange.models import IssuedCardNumber

__all__ = ["SEQUENCE", "card_numbers_allocate"]

SEQUENCE = "exchange_card_serial"
MAX_BLOCK = 10_000


@transaction.atomic
def card_numbers_allocate(count: int = 1) -> list[str]:
    """Allocate ``count`` new card numbers (a block, for bulk work) and record them; return them in order.

    On PostgreSQL the serials come from a sequence (``nextval`` is atomic and never hands a value out
    twice, even to transactions that roll back — so a number is never reused). Concurrent callers get
    disjoint sets; a block need not be contiguous. SQLite (``make run``) takes the next serials after the
    highest recorded one inside the transaction, SQLite's single writer serialising callers.
    """
    if not 0 < count <= MAX_BLOCK:
        raise ValueError(f"allocate between 1 and {MAX_BLOCK} numbers at a time, not {count}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [SEQUENCE, count])
            serials = sorted(int(row[0]) for row in cursor.fetchall())
    else:
        last = IssuedCardNumber.objects.order_by("-serial").values_list("serial", flat=True).first() or 0
        serials = list(range(last + 1, last + 1 + count))
    at = clock.now()
    rows = [IssuedCardNumber(serial=s, number=card_number.from_serial(s), allocated_at=at) for s in serials]
    IssuedCardNumber.objects.bulk_create(rows, batch_size=5000)
    return [r.number for r in rows]
