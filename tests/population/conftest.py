"""The population tests' world: members with valid citizen IDs in the tree's cells, and the stand-in
population service serving data made from them (a real process on a free loopback port)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from partycard.nationalid.registry import Person
from partycard.nationalid.standin import write_data
from partycard.registry.models import Member
from tests.nationalid.standin import Standin, standin_factory

__all__ = ["citizen_id", "members_in", "person_of", "serve", "standin_factory"]


def citizen_id(i: int, *, gender: str = "M", year: int = 1980) -> str:
    """A structurally valid citizen ID (Circular 07/2016/TT-BCA art. 7) for the ``i``-th test member."""
    digit = "0" if gender == "M" else "1"
    return f"001{digit}{year % 100:02d}{i:06d}"


def members_in(make_member: Any, cells: Iterable[Any], per_cell: int, *, start: int = 0) -> list[Member]:
    made = []
    i = start
    for cell in cells:
        for _ in range(per_cell):
            gender = "M" if i % 3 else "F"
            year = 1950 + i % 35  # of age when admitted in 2005
            made.append(
                make_member(
                    org=cell,
                    full_name=f"Nguyễn Thị Ánh {i}" if gender == "F" else f"Lê Văn Đức {i}",
                    gender=gender,
                    date_of_birth=dt.date(year, 1 + i % 12, 1 + i % 27),
                    citizen_id=citizen_id(i, gender=gender, year=year),
                )
            )
            i += 1
    return made


def person_of(m: Member) -> Person:
    assert m.citizen_id
    return Person(m.citizen_id, m.full_name, m.date_of_birth, m.gender)


@pytest.fixture
def serve(standin_factory: Callable[..., Standin], tmp_path: Path, settings: Any) -> Callable[..., Standin]:
    """``serve(people, **stand-in options)``: write ``people`` as the population database, start the
    stand-in on it and point ``PARTYCARD["POPULATION_API"]`` at it (timeouts short, no pacing)."""

    def start(people: Iterable[Person | None], *, timeout: float = 1.0, **options: Any) -> Standin:
        path = tmp_path / f"citizens-{len(list(tmp_path.iterdir()))}.sqlite"
        write_data(path, people)
        s = standin_factory(path, **options)
        api = dict(settings.PARTYCARD["POPULATION_API"])
        api.update(url=s.url, rate=options.get("rate", 1_000_000), timeout=timeout)
        settings.PARTYCARD = {**settings.PARTYCARD, "POPULATION_API": api}
        return s

    return start
