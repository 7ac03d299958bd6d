"""The commands: ``partycard population standin-data`` builds the stand-in's data from the members (with
the profile's documented differences), and ``partycard population check`` runs a check here, as the
system or ``--as`` an officer within their scope."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from partycard.nationalid.standin import PROFILES, difference_of, read_data
from partycard.population.models import CheckRun
from tests.population.conftest import members_in, person_of

pytestmark = pytest.mark.django_db


def test_standin_data_copies_the_members_and_perturbs_the_documented_share(
    tree: Any, make_member: Any, tmp_path: Path
) -> None:
    members = members_in(make_member, [tree.cell_a, tree.hue_cell], 30)
    make_member(org=tree.cell_b, full_name="Không Có Số", citizen_id=None)
    out = io.StringIO()
    call_command(
        "population", "standin-data", str(tmp_path / "none.sqlite"), "--differences", "none", stdout=out
    )
    assert "Wrote 60 people" in out.getvalue()
    assert sorted(read_data(tmp_path / "none.sqlite"), key=lambda p: p.citizen_id) == sorted(
        (person_of(m) for m in members), key=lambda p: p.citizen_id
    )
    call_command(
        "population", "standin-data", str(tmp_path / "t.sqlite"), "--differences", "test", stdout=out
    )
    held = {p.citizen_id: p for p in read_data(tmp_path / "t.sqlite")}
    for m in members:
        kind = difference_of(m.citizen_id, PROFILES["test"])
        assert (m.citizen_id in held) == (kind != "missing")
        assert (held.get(m.citizen_id) == person_of(m)) == (kind is None)
    call_command(
        "population", "standin-data", str(tmp_path / "hue.sqlite"), "--root", tree.hue.code, stdout=out
    )
    assert {p.citizen_id for p in read_data(tmp_path / "hue.sqlite")} <= {m.citizen_id for m in members[30:]}


def test_check_runs_here_as_the_system_or_an_officer_in_scope(
    tree: Any, make_member: Any, serve: Any
) -> None:
    members = members_in(make_member, [tree.cell_a, tree.hue_cell], 5)
    serve([person_of(m) for m in members])
    out = io.StringIO()
    call_command("population", "check", "--no-progress", stdout=out, stderr=io.StringIO())
    assert "10 checked, 10 agree, 0 differ" in out.getvalue()
    get_user_model().objects.create_user(
        "tinh-hn", password="mat-khau-dai-1", role="committee_officer", organisation=tree.hanoi
    )
    call_command(
        "population", "check", "--root", tree.hanoi.code, "--as", "tinh-hn", "--no-progress", stdout=out
    )
    assert CheckRun.objects.filter(root=tree.hanoi, checked=5).exists()
    with pytest.raises(CommandError, match="no organisation"):
        call_command("population", "check", "--root", tree.hue.code, "--as", "tinh-hn", stdout=out)
