"""The generated tree has the national shape and obeys the level rules (pure: no database)."""

import re
from collections import Counter

import pytest

from partycard.registry.choices import ALLOWED_CHILDREN, MEMBER_HOLDING_LEVELS, OrgLevel
from partycard.registry.seeding import tree as tree_module
from partycard.registry.seeding.tree import build_tree, split


def test_level_constants_mirror_the_django_choices() -> None:
    assert [int(level) for level in OrgLevel] == [
        tree_module.CENTRE,
        tree_module.CENTRAL_COMMITTEE,
        tree_module.COMMUNE,
        tree_module.GRASSROOTS_COMMITTEE,
        tree_module.GRASSROOTS_CELL,
        tree_module.SUB_COMMITTEE,
        tree_module.CELL,
    ]


@pytest.fixture(scope="module")
def national() -> tree_module.Tree:
    return build_tree(5_600_000, 1)


def test_national_shape(national: tree_module.Tree) -> None:
    levels = Counter(o.level for o in national.orgs)
    assert levels[OrgLevel.CENTRE] == 1
    assert levels[OrgLevel.CENTRAL_COMMITTEE] == 40
    # 3,321 committees directly above the grassroots, and the Army's and Public Security's tiers above them.
    parents = {o.parent_id for o in national.orgs if o.level != OrgLevel.COMMUNE}
    above_grassroots = [o for o in national.orgs if o.level == OrgLevel.COMMUNE and o.id in parents]
    assert len(above_grassroots) == 3321
    assert levels[OrgLevel.COMMUNE] == 3321 + 7 + 3
    grassroots = levels[OrgLevel.GRASSROOTS_COMMITTEE] + levels[OrgLevel.GRASSROOTS_CELL]
    assert 54_000 <= grassroots <= 66_000
    holding = levels[OrgLevel.CELL] + levels[OrgLevel.GRASSROOTS_CELL]
    assert 225_000 <= holding <= 275_000
    assert national.members == 5_600_000
    assert len(national.holding_ids) == holding


def test_every_edge_is_an_allowed_level_and_paths_nest(national: tree_module.Tree) -> None:
    by_id = {o.id: o for o in national.orgs}
    code_re = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
    codes = set()
    for org in national.orgs:
        assert code_re.match(org.code), org.code
        codes.add(org.code)
        if org.parent_id is None:
            assert org.level == OrgLevel.CENTRE
            continue
        parent = by_id[org.parent_id]
        assert parent.id < org.id  # parents come first: a COPY in this order satisfies the foreign key
        assert org.level in ALLOWED_CHILDREN[parent.level]
        assert org.path == f"{parent.path}{org.code}."
    assert len(codes) == len(national.orgs)
    assert all(by_id[i].level in MEMBER_HOLDING_LEVELS for i in national.holding_ids[:1000])


def test_deterministic_for_a_seed() -> None:
    a, b, c = build_tree(50_000, 7), build_tree(50_000, 7), build_tree(50_000, 8)
    assert a.orgs == b.orgs and a.holding_sizes == b.holding_sizes
    assert a.orgs != c.orgs


def test_small_registries_still_have_every_committee() -> None:
    small = build_tree(300, 1)
    assert Counter(o.level for o in small.orgs)[OrgLevel.CENTRAL_COMMITTEE] == 40
    assert small.members == 300


@pytest.mark.parametrize("total", [0, 1, 7, 1000, 5_600_000])
def test_split_adds_up(total: int) -> None:
    parts = split(total, [3.0, 1.0, 0.5, 2.25])
    assert sum(parts) == total and all(p >= 0 for p in parts)


@pytest.mark.parametrize("members", [300, 50_000, 5_600_000])
def test_the_army_and_public_security_have_a_tier_above_their_upper_grassroots_committees(
    members: int,
) -> None:
    """DOMAIN.md "Scale and hierarchy": the Army and Public Security have several tiers between the
    committee directly under the Centre and the grassroots; the seed has at least one extra."""
    orgs = build_tree(members, 1).orgs
    by_id = {o.id: o for o in orgs}
    for committee in ("QUTW", "CATW"):
        grassroots = [
            o
            for o in orgs
            if o.path.startswith(f"TW.{committee}.")
            and o.level in (OrgLevel.GRASSROOTS_COMMITTEE, OrgLevel.GRASSROOTS_CELL)
        ]
        assert grassroots, committee
        for g in grassroots:
            upper = by_id[g.parent_id]
            tier = by_id[upper.parent_id]  # the committee above the upper-grassroots one
            assert (upper.level, tier.level) == (OrgLevel.COMMUNE, OrgLevel.COMMUNE), g.path
            assert by_id[tier.parent_id].code == committee
    # A province's communes sit directly under the province.
    hanoi = [o for o in orgs if o.level == OrgLevel.COMMUNE and o.path.startswith("TW.P01.")]
    assert hanoi and all(by_id[o.parent_id].code == "P01" for o in hanoi)
