"""Fixtures of the dues tests: the exchange tests' officers and campaign, members of cell_a, and months."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from partycard.accounts.models import Role, User
from partycard.core import clock
from partycard.dues.months import month_shift, month_start
from tests.exchange.conftest import Officers, campaign, officers

__all__ = ["Officers", "campaign", "months_ago", "officers"]


def months_ago(n: int) -> dt.date:
    """The first day of the month ``n`` months before this one (1: last month, which has ended)."""
    return month_shift(month_start(clock.today()), -n)


@pytest.fixture
def members(make_member: Any, tree: Any) -> list[Any]:
    """Two official members of cell_a (with old cards: eligible in the campaign) and one of cell_b."""
    return [
        make_member(full_name="Nguyễn Văn An", old_card_number="12345678"),
        make_member(
            full_name="Trần Thị Bình", citizen_id="001180012346", gender="F", old_card_number="12345679"
        ),
        make_member(org=tree.cell_b, full_name="Lê Văn Cường", citizen_id="001080012347"),
    ]


@pytest.fixture
def member_user(members: list[Any], tree: Any) -> User:
    """The member-role account of the first member (their own dues only)."""
    return User.objects.create_user(
        "an.nv", password="mat-khau-dai-1", role=Role.MEMBER, organisation=tree.cell_a, member=members[0]
    )


@pytest.fixture(autouse=True)
def every_cell_keeps_its_dues_here(settings: Any) -> None:
    """The rule as Charter Art. 8(2) states it, for every cell: a month with no payment the cell stands
    behind is unpaid. (Deployed, ``DUES_CLOSE_ONLY_KEEPING_CELLS`` defaults to True: cells that keep no dues
    here are left alone; ``test_only_the_cells_keeping_dues_here…`` tests that.)"""
    settings.PARTYCARD = {**settings.PARTYCARD, "DUES_CLOSE_ONLY_KEEPING_CELLS": False}
