"""The organisation tree's totals (issue 15: the Centre's tree and a province's children, each < 200 ms at
national scale) come from the commune-level committees' kept subtree totals; every write keeps them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partycard.registry import selectors, services
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation


def totals(parent: Organisation) -> dict[str, tuple[int, bool]]:
    return {n.organisation.code: (n.members, n.has_children) for n in selectors.organisation_children(parent)}


def kept(code: str) -> int:
    return Organisation.objects.get(code=code).subtree_members


def test_children_totals_at_every_level(tree: Any, make_member: Any) -> None:
    make_member()
    make_member(org=tree.cell_b, full_name="Trần Văn Bình", citizen_id="001080000002")
    make_member(org=tree.hue_cell, full_name="Lê Văn Cường", citizen_id="001080000003")
    make_member(org=tree.cell_b, full_name="Lê Thị Dung", citizen_id="001080000004", status="deceased")
    assert totals(tree.centre) == {"HN": (2, True), "HUE": (1, True)}
    assert totals(tree.hanoi) == {"HN-BD": (2, True)}
    assert totals(tree.ba_dinh) == {"HN-BD-01": (2, True)}
    assert totals(tree.school) == {"HN-BD-01-01": (1, False), "HN-BD-01-02": (1, False)}
    assert totals(tree.cell_a) == {}


def test_every_member_write_keeps_the_commune_totals(tree: Any, make_member: Any) -> None:
    member = make_member()
    assert (kept("HN-BD"), kept("HUE-TH")) == (1, 0)
    services.member_transfer(actor=None, member=member, to_cell=tree.hue_cell, reason="chuyển sinh hoạt")
    assert (kept("HN-BD"), kept("HUE-TH")) == (0, 1)
    services.member_update(actor=None, member=member, changes={"status": "deceased"})
    assert kept("HUE-TH") == 0
    # only the commune-level committees keep one: no row above them is written on every member write
    assert Organisation.objects.exclude(level=OrgLevel.COMMUNE).exclude(subtree_members=0).count() == 0
    assert services.subtree_totals_recount() == 0


def test_a_moved_subtree_leaves_one_commune_total_for_another(tree: Any, make_member: Any) -> None:
    make_member()
    services.organisation_move(actor=None, organisation=tree.school, new_parent=tree.thuan_hoa)
    assert (kept("HN-BD"), kept("HUE-TH")) == (0, 1)
    assert totals(tree.centre) == {"HN": (0, True), "HUE": (1, True)}


def test_recount_repairs_a_total_written_around_the_services(tree: Any, make_member: Any) -> None:
    make_member()
    Organisation.objects.filter(code="HN-BD").update(subtree_members=40)
    assert services.subtree_totals_recount() == 1
    assert kept("HN-BD") == 1


def test_an_import_adds_to_the_commune_totals(tree: Any, tmp_path: Path) -> None:
    from partycard.registry.importing import import_roster
    from tests.registry.test_import_export import csv_file, row

    result = import_roster(csv_file(tmp_path, row()), actor=None)
    assert result.ok and result.created == 1
    assert kept("HN-BD") == 1
    assert services.organisations_recount() == 0
