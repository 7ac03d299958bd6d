"""Fixtures of the review tests: officers of the Hà Nội school (grassroots) and of its cell, Huế's
grassroots officer, members in both cells of the school, and helpers to edit a workbook with openpyxl as a
cell would."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.registry.models import Member
from partycard.review.fields import FIELDS, ID_HEADER

__all__ = ["cell_of", "column_of", "edit", "header_row"]


@pytest.fixture
def officers(tree: Any) -> dict[str, User]:
    def user(name: str, role: str, org: Any, full: str) -> User:
        return User.objects.create_user(
            name, password="mat-khau-dai-1", role=role, organisation=org, first_name=full
        )

    return {
        "grassroots": user("rs-grassroots", Role.GRASSROOTS_OFFICER, tree.school, "Lê Thị Cơ Sở"),
        "secretary": user("rs-secretary", Role.CELL_SECRETARY, tree.cell_a, "Phạm Văn Bí Thư"),
        "secretary_b": user("rs-secretary-b", Role.CELL_SECRETARY, tree.cell_b, "Đỗ Văn Chi Bộ"),
        "inspector": user("rs-inspector", Role.INSPECTOR, tree.hanoi, "Ngô Văn Kiểm"),
        "hue": user("rs-hue", Role.GRASSROOTS_OFFICER, tree.hue_cell, "Trần Thị Huế"),
    }


@pytest.fixture
def members(tree: Any, make_member: Any) -> dict[str, Member]:
    """Three members in cell A, one in cell B (all of the school), one ended member in cell A."""
    from partycard.registry.choices import Gender, MemberStatus

    found = {
        "an": make_member(full_name="Nguyễn Văn An", phone="0912345678"),
        "binh": make_member(
            full_name="Trần Thị Bình", gender=Gender.FEMALE, citizen_id="001180012346",
            date_of_birth=__import__("datetime").date(1980, 7, 1),
        ),
        "cuong": make_member(full_name="Lê Văn Cường", citizen_id="001080012347", file_number="123456HN"),
        "dung": make_member(tree.cell_b, full_name="Phạm Văn Dũng", citizen_id="001080012348"),
        "ended": make_member(
            full_name="Vũ Văn Đã Mất", citizen_id="001080012349", status=MemberStatus.DECEASED
        ),
    }  # fmt: skip
    return found


def header_row(sheet: Any) -> list[str]:
    return [c.value for c in sheet[1]]


def column_of(sheet: Any, header: str) -> int:
    """The 1-based column of ``header`` in a review sheet."""
    return header_row(sheet).index(header) + 1


def cell_of(sheet: Any, member_id: int, header: str) -> Any:
    """The cell of ``member_id``'s row under ``header``."""
    for row in sheet.iter_rows(min_row=2):
        if str(row[0].value) == str(member_id):
            return row[column_of(sheet, header) - 1] if header in header_row(sheet) else row[0]
    raise KeyError(member_id)


def edit(content: bytes, change: Callable[[Any], None]) -> bytes:
    """The workbook after ``change(book)``, saved as a cell's spreadsheet program would."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADERS = {f.name: f.header for f in FIELDS} | {"id": ID_HEADER}
