"""The data migrations of the corrected rules (registry 0006): a member recorded as "transferred out" is still
a member (DOMAIN.md: a transfer is not leaving the Party), and a count of unpaid months becomes the months
themselves (Charter Art. 8(2) counts them within a rolling year)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from partycard.registry.models import Member, Organisation
from partycard.registry.seeding.loader import ensure_ethnicities

BEFORE = [("registry", "0004_member_standing")]


def _month(day: dt.date, back: int) -> str:
    index = day.year * 12 + day.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _migrate_to_the_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def at_0004(transactional_db: Any) -> Iterator[None]:
    """The registry as it was before the corrected rules; the latest schema again afterwards, whatever
    happened (the tests after this one need it)."""
    ensure_ethnicities()  # a transactional test before this one may have emptied the reference table
    MigrationExecutor(connection).migrate(BEFORE)
    try:
        yield
    finally:
        _migrate_to_the_latest()


def test_transferred_out_members_stay_members_and_dues_counts_become_months(at_0004: None) -> None:
    executor = MigrationExecutor(connection)
    old = executor.loader.project_state(BEFORE).apps
    OldOrg, OldMember = old.get_model("registry", "Organisation"), old.get_model("registry", "Member")

    def org(code: str, level: int, parent: Any) -> Any:
        path = (parent.path if parent else "") + code + "."
        return OldOrg.objects.create(
            code=code, name=code, name_search=code.lower(), level=level, parent=parent, path=path
        )

    cell = org("C", 6, org("G", 3, org("X", 2, org("P", 1, org("TW", 0, None)))))
    cell.member_count = 1  # the one official member below; the transferred ones did not count
    cell.save()
    common = {
        "organisation": cell,
        "gender": "M",
        "date_of_birth": dt.date(1980, 3, 12),
        "date_admitted": dt.date(2005, 5, 19),
    }
    official = OldMember.objects.create(
        full_name="A", status="official", date_official=dt.date(2006, 5, 19), dues_months_unpaid=3, **common
    )
    was_official = OldMember.objects.create(
        full_name="B", status="transferred_out", date_official=dt.date(2006, 5, 19), **common
    )
    was_probationary = OldMember.objects.create(full_name="C", status="transferred_out", **common)

    _migrate_to_the_latest()

    moved = {m.pk: m for m in Member.objects.filter(pk__in=[was_official.pk, was_probationary.pk])}
    assert (moved[was_official.pk].status, moved[was_official.pk].transfer_in_progress) == ("official", True)
    assert (moved[was_probationary.pk].status, moved[was_probationary.pk].transfer_in_progress) == (
        "probationary",
        True,
    )
    assert Organisation.objects.get(pk=cell.pk).member_count == 3
    today = dt.date.today()
    owing = Member.objects.get(pk=official.pk)
    assert owing.dues_unpaid_months == [_month(today, 2), _month(today, 1), _month(today, 0)]
    assert (
        not owing.dues_unpaid_good_reason and Member.objects.get(pk=was_official.pk).dues_unpaid_months == []
    )
