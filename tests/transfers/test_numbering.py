"""The letters' numbers: per committee and year, from 1, no gaps, none twice, even concurrently."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from django.db import connection, transaction

from partycard.transfers.models import LetterCounter
from partycard.transfers.numbering import letter_number, letter_number_take

pytestmark = pytest.mark.django_db


def _take(committee: Any, year: int) -> int:
    with transaction.atomic():
        return letter_number_take(committee=committee, year=year)


def test_numbers_run_per_committee_and_year(tree: Any) -> None:
    assert [_take(tree.hanoi, 2026) for _ in range(3)] == [1, 2, 3]
    assert _take(tree.hue, 2026) == 1
    assert _take(tree.hanoi, 2027) == 1
    assert letter_number(3, tree.hanoi) == "3-GGT/HN"


def test_a_rolled_back_issue_gives_its_number_back(tree: Any) -> None:
    assert _take(tree.hanoi, 2026) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert letter_number_take(committee=tree.hanoi, year=2026) == 2
        raise RuntimeError("the letter could not be signed")
    assert _take(tree.hanoi, 2026) == 2  # no gap


WORKER = textwrap.dedent(
    """
    import os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "partycard.settings.test"
    import django
    django.setup()
    from django.db import connection, transaction
    connection.settings_dict["NAME"] = sys.argv[1]
    from partycard.registry.models import Organisation
    from partycard.transfers.numbering import letter_number_take
    committee = Organisation.objects.get(code="HN")
    got = []
    for _ in range(50):
        with transaction.atomic():
            got.append(letter_number_take(committee=committee, year=2026))
    print("\\n".join(map(str, got)))
    """
)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_workers_at_once_get_every_number_once(tree: Any) -> None:
    """4 processes × 50 letters of one committee at the same time: exactly 1..200, the counter first
    created by whichever comes first."""
    name = connection.settings_dict["NAME"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, name], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    numbers = sorted(int(n) for out in outputs for n in out.split())
    assert numbers == list(range(1, 201))
    assert LetterCounter.objects.get(committee=tree.hanoi, year=2026).last == 200
