"""Generated members are valid, unique by construction and reproducible per chunk (pure: no database)."""

import datetime as dt

import pytest

from partycard.registry.rules import MemberFacts, member_issues
from partycard.registry.seeding.loader import REFERENCE_DATE, make_plan
from partycard.registry.seeding.people import COLUMNS, MemberPlan, chunk_copy_text, chunk_rows
from partycard.registry.seeding.tree import build_tree


@pytest.fixture(scope="module")
def plan() -> MemberPlan:
    return make_plan(build_tree(5_600_000, 3), 3, "2026-01-01 00:00:00+00")


def test_rows_pass_the_member_rules(plan: MemberPlan) -> None:
    col = {name: i for i, name in enumerate(COLUMNS)}
    date = dt.date.fromisoformat
    for row in chunk_rows(plan, 2_000_001, 2_020_000):
        facts = MemberFacts(
            full_name=str(row[col["full_name"]]),
            gender=str(row[col["gender"]]),
            date_of_birth=date(str(row[col["date_of_birth"]])),
            citizen_id=row[col["citizen_id"]],
            date_admitted=date(str(row[col["date_admitted"]])),
            date_official=date(str(row[col["date_official"]])) if row[col["date_official"]] else None,
            status=str(row[col["status"]]),
            file_number=row[col["file_number"]],
            old_card_number=row[col["old_card_number"]],
            phone=row[col["phone"]] or None,
        )
        problems = member_issues(facts, today=REFERENCE_DATE)
        if facts.status in ("probationary", "official"):
            assert problems == [], (row, problems)


def test_unique_numbers_where_serials_collide(plan: MemberPlan) -> None:
    """Members whose ids share the low six digits (r, r + 1e6, …) share a serial: still unique IDs."""
    col = {name: i for i, name in enumerate(COLUMNS)}
    seen: dict[str, set[object]] = {"citizen_id": set(), "old_card_number": set(), "file_number": set()}
    for block in range(6):
        start = block * 1_000_000 + 1
        for row in chunk_rows(plan, start, min(start + 4_999, 5_600_000)):
            for name, values in seen.items():
                value = row[col[name]]
                if value is not None:
                    assert value not in values, (name, value)
                    values.add(value)
    assert len(seen["citizen_id"]) > 29_000


def test_a_chunk_regenerates_byte_for_byte(plan: MemberPlan) -> None:
    assert chunk_copy_text(plan, 100_001, 101_000) == chunk_copy_text(plan, 100_001, 101_000)
    whole = chunk_copy_text(plan, 1, 2000).decode().splitlines()
    assert len(whole) == 2000 and whole[0].split("\t")[0] == "1" and whole[-1].split("\t")[0] == "2000"


def test_realistic_distribution(plan: MemberPlan) -> None:
    rows = chunk_rows(plan, 1_000_001, 1_050_000)
    col = {name: i for i, name in enumerate(COLUMNS)}
    nguyen = sum(1 for r in rows if str(r[col["full_name"]]).startswith("Nguyễn ")) / len(rows)
    female = sum(1 for r in rows if r[col["gender"]] == "F") / len(rows)
    official = sum(1 for r in rows if r[col["status"]] == "official") / len(rows)
    assert 0.33 < nguyen < 0.43 and 0.33 < female < 0.43 and official > 0.9
