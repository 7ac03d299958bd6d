"""Allocating national card numbers: unique, never reused, safe under concurrency (PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from django.db import connection, transaction

from partycard.cards import card_number
from partycard.exchange.models import IssuedCardNumber
from partycard.exchange.services import card_numbers_allocate

pytestmark = pytest.mark.django_db


def test_blocks_are_unique_valid_and_recorded() -> None:
    first = card_numbers_allocate(5)
    second = card_numbers_allocate(3)
    numbers = first + second
    assert len(set(numbers)) == 8 and all(card_number.problem(n) is None for n in numbers)
    assert set(IssuedCardNumber.objects.values_list("number", flat=True)) == set(numbers)


def test_block_size_is_bounded() -> None:
    with pytest.raises(ValueError):
        card_numbers_allocate(0)
    with pytest.raises(ValueError):
        card_numbers_allocate(10_001)


@pytest.mark.postgres
def test_a_rolled_back_number_is_never_handed_out_again() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = card_numbers_allocate(1)[0]
        raise RuntimeError("the case's transaction fails")
    assert not IssuedCardNumber.objects.filter(number=lost).exists()
    again = card_numbers_allocate(50)
    assert lost not in again


WORKER = textwrap.dedent(
    """
    import os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "partycard.settings.test"
    import django
    django.setup()
    from django.db import connection
    connection.settings_dict["NAME"] = sys.argv[1]
    from partycard.exchange.services import card_numbers_allocate
    got = []
    for _ in range(10):
        got += card_numbers_allocate(1000)
    print("\\n".join(got))
    """
)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_workers_allocating_ten_thousand_each_never_collide() -> None:
    """8 processes × 10,000 numbers, at the same time, against the test database: 80,000 distinct numbers,
    every check digit valid, every one recorded once."""
    name = connection.settings_dict["NAME"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, name], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(8)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    numbers = [n for out in outputs for n in out.split()]
    assert len(numbers) == 80_000
    assert len(set(numbers)) == 80_000
    assert all(card_number.problem(n) is None for n in numbers)
    assert IssuedCardNumber.objects.count() == 80_000
