"""The national-shaped organisation tree, scaled to N members and deterministic for a seed.

Shape (DOMAIN.md): the Centre; 40 committees directly under it; 3,321 commune-level units (fewer below
about 1 M members, one per ~300 members, at least one per committee), those of the Army and Public
Security under one more commune-level tier (military regions, commands: ``data.INTERMEDIATE_TIERS``, drawn
without the random stream, so every other row is as it was); grassroots organisations at about
one per 93 members (~60,000 at 5.6 M), 45 % of them grassroots cells that hold members directly; cells at
about one per 22.4 members (~250,000 at 5.6 M); a quarter of the larger grassroots committees split into
sub-committees. Pure Python, no Django, so the member generator can run in a worker process.
"""

from __future__ import annotations

import math
import random
from array import array
from dataclasses import dataclass, field

from partycard.registry.seeding import data

__all__ = ["OrgRow", "Tree", "build_tree", "split"]

# Mirrors registry.choices.OrgLevel (a test keeps them equal); this module must not import Django.
CENTRE, CENTRAL_COMMITTEE, COMMUNE, GRASSROOTS_COMMITTEE, GRASSROOTS_CELL, SUB_COMMITTEE, CELL = range(7)

MAX_COMMUNES = 3321
MEMBERS_PER_COMMUNE_BELOW_FULL = 300
MEMBERS_PER_GRASSROOTS = 93
MEMBERS_PER_CELL = 22.4
GRASSROOTS_CELL_SHARE = 0.45


@dataclass(frozen=True, slots=True)
class OrgRow:
    id: int
    code: str
    name: str
    level: int
    parent_id: int | None
    path: str


@dataclass
class Tree:
    """The organisations (parents before children) and, in member-id order, who holds how many members."""

    orgs: list[OrgRow] = field(default_factory=list)
    holding_ids: array = field(default_factory=lambda: array("q"))
    holding_sizes: array = field(default_factory=lambda: array("q"))
    holding_committee: array = field(default_factory=lambda: array("b"))

    @property
    def members(self) -> int:
        return sum(self.holding_sizes)


def split(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder): integers that add up exactly."""
    scale = sum(weights)
    raw = [total * w / scale for w in weights]
    parts = [math.floor(r) for r in raw]
    short = total - sum(parts)
    for i in sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])[:short]:
        parts[i] += 1
    return parts


def _split_at_least_one(total: int, weights: list[float]) -> list[int]:
    extra = split(total - len(weights), weights)
    return [1 + e for e in extra]


def _place(rng: random.Random) -> str:
    first, second = rng.sample(data.PLACE_SYLLABLES, 2)
    return f"{first} {second}"


def build_tree(members: int, seed: int) -> Tree:
    """The whole tree for ``members`` members; the same (members, seed) always gives the same tree."""
    rng = random.Random(f"partycard-tree:{seed}:{members}")
    tree = Tree()
    next_id = 1

    def add(code: str, name: str, level: int, parent: OrgRow | None) -> OrgRow:
        nonlocal next_id
        row = OrgRow(
            next_id,
            code,
            name,
            level,
            parent.id if parent else None,
            (parent.path if parent else "") + code + ".",
        )
        next_id += 1
        tree.orgs.append(row)
        return row

    def hold(org: OrgRow, size: int, committee_index: int) -> None:
        tree.holding_ids.append(org.id)
        tree.holding_sizes.append(size)
        tree.holding_committee.append(committee_index)

    weights = [float(c[3]) for c in data.COMMITTEES]
    member_quota = split(members, weights)
    communes_total = min(MAX_COMMUNES, max(len(weights), math.ceil(members / MEMBERS_PER_COMMUNE_BELOW_FULL)))
    commune_quota = _split_at_least_one(communes_total, weights)
    commune_kinds = [k for k, _ in data.COMMUNE_KINDS]
    commune_kind_weights = [w for _, w in data.COMMUNE_KINDS]

    centre = add("TW", "Đảng Cộng sản Việt Nam (Trung ương)", CENTRE, None)
    for ci, (code, _letters, name, _w) in enumerate(data.COMMITTEES):
        committee = add(code, name, CENTRAL_COMMITTEE, centre)
        is_province = ci < data.PROVINCE_COUNT
        quotas = split(member_quota[ci], [rng.uniform(0.4, 1.6) for _ in range(commune_quota[ci])])
        tiers = [committee]
        if code in data.INTERMEDIATE_TIERS:
            prefix, tier_name, count = data.INTERMEDIATE_TIERS[code]
            tiers = [
                add(f"{code}-{prefix}{t}", f"{tier_name} {t}", COMMUNE, committee)
                for t in range(1, min(count, len(quotas)) + 1)
            ]
        for k, q in enumerate(quotas, start=1):
            if is_province:
                kind = rng.choices(commune_kinds, commune_kind_weights)[0]
                commune_name = f"Đảng bộ {kind} {_place(rng)}"
            else:
                unit = rng.choice(data.UPPER_GRASSROOTS_UNITS)
                commune_name = f"{data.UPPER_GRASSROOTS_PREFIX} {unit} {_place(rng)}"
            commune = add(f"{code}-{k:04d}", commune_name, COMMUNE, tiers[(k - 1) % len(tiers)])
            g = max(1, round(q / MEMBERS_PER_GRASSROOTS * rng.uniform(0.7, 1.3)))
            g = min(g, max(1, q // 3))
            kinds = [rng.random() < GRASSROOTS_CELL_SHARE for _ in range(g)]
            gq = split(q, [(22.0 if is_cell else 151.0) * rng.uniform(0.5, 1.5) for is_cell in kinds])
            for j, (is_cell, x) in enumerate(zip(kinds, gq, strict=True), start=1):
                gcode = f"{commune.code}-{j:03d}"
                if is_cell or x < 6:
                    org = add(
                        gcode,
                        f"Chi bộ {rng.choice(data.GRASSROOTS_KINDS)} {_place(rng)}",
                        GRASSROOTS_CELL,
                        commune,
                    )
                    hold(org, x, ci)
                    continue
                grassroots = add(
                    gcode,
                    f"Đảng bộ {rng.choice(data.GRASSROOTS_KINDS)} {_place(rng)}",
                    GRASSROOTS_COMMITTEE,
                    commune,
                )
                ncell = max(2, round(x / MEMBERS_PER_CELL * rng.uniform(0.8, 1.2)))
                ncell = min(ncell, x // 3, 999)
                cq = split(x, [rng.uniform(0.5, 1.5) for _ in range(ncell)])
                parents = [grassroots]
                if ncell >= 6 and rng.random() < 0.25:
                    parents = [
                        add(f"{gcode}-B{m}", f"Đảng bộ bộ phận số {m}", SUB_COMMITTEE, grassroots)
                        for m in range(1, rng.randint(2, 4) + 1)
                    ]
                cell_kind = rng.choice(data.CELL_KINDS)
                for n, size in enumerate(cq, start=1):
                    parent = parents[(n - 1) * len(parents) // ncell]
                    cell = add(f"{parent.code}-{n:03d}", f"Chi bộ {cell_kind} {n}", CELL, parent)
                    hold(cell, size, ci)
    return tree
