import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from partycard.core.errors import DomainError
from partycard.registry import selectors, services
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation


def test_paths_follow_the_codes(tree) -> None:
    assert tree.cell_a.path == "TW.HN.HN-BD.HN-BD-01.HN-BD-01-01."
    assert tree.cell_a.depth == 4
    assert set(selectors.organisation_subtree(tree.hanoi).values_list("code", flat=True)) == {
        "HN",
        "HN-BD",
        "HN-BD-01",
        "HN-BD-01-01",
        "HN-BD-01-02",
    }


@pytest.mark.parametrize(
    ("level", "parent_attr"),
    [
        (OrgLevel.CELL, "centre"),
        (OrgLevel.COMMUNE, "centre"),
        (OrgLevel.CENTRAL_COMMITTEE, "hanoi"),
        (OrgLevel.CELL, "ba_dinh"),
        (OrgLevel.CELL, "hue_cell"),  # a grassroots cell holds members, not cells
        (OrgLevel.SUB_COMMITTEE, "ba_dinh"),
    ],
)
def test_level_rules_are_enforced(tree, level: int, parent_attr: str) -> None:
    with translation.override("en"), pytest.raises(DomainError) as e:
        services.organisation_create(
            actor=None, code="X1", name="X", level=level, parent=getattr(tree, parent_attr)
        )
    assert e.value.field == "parent"
    assert "cannot be placed under" in e.value.message
    assert not Organisation.objects.filter(code="X1").exists()


def test_codes_are_validated(tree) -> None:
    for bad in ["hn-1", "A_B", "A%", "A.B", ""]:
        with pytest.raises(ValidationError) as e:
            services.organisation_create(
                actor=None, code=bad, name="X", level=OrgLevel.CELL, parent=tree.school
            )
        assert "code" in e.value.message_dict


def test_a_second_root_is_refused(tree) -> None:
    with pytest.raises(DomainError):
        services.organisation_create(
            actor=None, code="TW2", name="X", level=OrgLevel.CENTRAL_COMMITTEE, parent=None
        )


def test_move_rewrites_the_subtree_and_keeps_history(tree, make_member) -> None:
    make_member()
    new_commune = services.organisation_create(
        actor=None, code="HN-HK", name="Đảng bộ phường Hoàn Kiếm", level=OrgLevel.COMMUNE, parent=tree.hanoi
    )
    before = selectors.subtree_member_count(tree.hanoi)
    with translation.override("en"):
        changed = services.organisation_move(actor=None, organisation=tree.school, new_parent=new_commune)
    assert changed == 3
    paths = dict(selectors.organisation_subtree(new_commune).values_list("code", "path"))
    assert paths["HN-BD-01-02"] == "TW.HN.HN-HK.HN-BD-01.HN-BD-01-02."
    assert not selectors.organisation_subtree(tree.ba_dinh).exclude(pk=tree.ba_dinh.pk).exists()
    assert selectors.subtree_member_count(tree.hanoi) == before == 1
    assert selectors.subtree_member_count(new_commune) == 1
    cell_history = list(Organisation.history.filter(code="HN-BD-01-02").order_by("history_date"))
    assert [h.path for h in cell_history] == [
        "TW.HN.HN-BD.HN-BD-01.HN-BD-01-02.",
        "TW.HN.HN-HK.HN-BD-01.HN-BD-01-02.",
    ]
    school_last = Organisation.history.filter(code="HN-BD-01").latest("history_date")
    assert school_last.parent_id == new_commune.pk
    assert (
        school_last.history_change_reason == "moved from Đảng bộ phường Ba Đình to Đảng bộ phường Hoàn Kiếm"
    )


def test_move_across_committees_and_into_own_subtree(tree) -> None:
    services.organisation_move(actor=None, organisation=tree.ba_dinh, new_parent=tree.hue)
    assert Organisation.objects.get(code="HN-BD-01-01").path.startswith("TW.HUE.HN-BD.")
    with pytest.raises(DomainError):
        services.organisation_move(actor=None, organisation=tree.school, new_parent=tree.school)
    with pytest.raises(DomainError):  # a commune-level committee cannot go under a grassroots cell
        services.organisation_move(actor=None, organisation=tree.ba_dinh, new_parent=tree.hue_cell)


def test_level_counts(tree, make_member) -> None:
    make_member()
    make_member(org=tree.cell_b, citizen_id="001080012346")
    make_member(org=tree.hue_cell, citizen_id="001080012347")
    counts = {c.level: (c.organisations, c.members) for c in selectors.level_counts(tree.hanoi)}
    assert counts == {
        OrgLevel.CENTRAL_COMMITTEE: (1, 0),
        OrgLevel.COMMUNE: (1, 0),
        OrgLevel.GRASSROOTS_COMMITTEE: (1, 0),
        OrgLevel.CELL: (2, 2),
    }
    by_committee = selectors.committee_level_counts()
    assert set(by_committee) == {"HN", "HUE"}
    assert sum(c.members for c in by_committee["HUE"]) == 1
    assert selectors.subtree_member_count(tree.centre) == 3


@pytest.mark.parametrize("name", ["Chi bộ\u202e 1", "Chi bộ\u200b1", "\u2066Chi bộ 1"])
def test_an_organisation_name_with_invisible_characters_is_refused(tree, name: str) -> None:
    """Issue 12 (Unicode TR #36 §2): a bidi override or a zero-width character makes one name look like
    another."""
    with translation.override("en"), pytest.raises(ValidationError) as e:
        services.organisation_create(
            actor=None, code="HN-BD-01-03", name=name, level=OrgLevel.CELL, parent=tree.school
        )
    assert "invisible or direction-changing" in e.value.message_dict["name"][0]
    with pytest.raises(ValidationError):
        services.organisation_update(actor=None, organisation=tree.cell_a, changes={"name": name})
    assert not Organisation.objects.filter(code="HN-BD-01-03").exists()
    assert Organisation.objects.get(pk=tree.cell_a.pk).name == "Chi bộ Giáo viên 1"


def test_an_organisation_code_with_a_trailing_newline_is_refused(tree) -> None:
    """The code validator's ``$`` also matched before a final newline."""
    with pytest.raises(ValidationError) as e:
        services.organisation_create(
            actor=None, code="HN-BD-01-03\n", name="Chi bộ 3", level=OrgLevel.CELL, parent=tree.school
        )
    assert "code" in e.value.message_dict
