"""The sample of cases an inspection verifies, drawn reproducibly from a recorded seed (pure: no Django).

Each case is ranked by HMAC-SHA256(seed, case id) and the lowest ranks are taken: anyone holding the seed and
the list of cases can draw the same sample again, on any machine and any Python version (``random``'s
algorithms are not promised to stay the same), and the order does not depend on how the cases were listed.
The seed is drawn by the system (``secrets``) when the sample is taken, so no one picks which cases are seen.

Stratified by cell (the default): the sample is shared between the cells in proportion to their cases
(largest remainders, ties to the cell with more cases, then by path), and each cell's share is drawn by rank
within the cell. The cell is where an exchange case is proposed and its member's record checked (Directive
51-CT/TW), so a cell that works badly makes its errors together; a plain random sample of a large committee
can miss such a cell entirely, a proportional one covers it as soon as its share reaches one case.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Drawn", "allocate", "draw", "population_digest", "rank", "sample_size"]


def rank(seed: str, case_id: int) -> bytes:
    """The case's place in the draw: HMAC-SHA256 keyed by the seed over the case id in decimal."""
    return hmac.digest(seed.encode(), str(case_id).encode(), "sha256")  # the one-shot C path: 10x faster


def sample_size(population: int, *, size: int | None = None, percent: int | None = None) -> int:
    """The number of cases to draw: ``size`` as given, or ``percent`` of the population rounded up (at least
    one case of a population that has any).

    Raises:
        ValueError: neither or both given, or a value outside its range (size ≥ 1, percent 1–100).
    """
    if (size is None) == (percent is None):
        raise ValueError("give either a size or a percentage")
    if size is not None:
        if size < 1:
            raise ValueError("size must be at least 1")
        return size
    assert percent is not None
    if not 1 <= percent <= 100:
        raise ValueError("percent must be 1-100")
    return math.ceil(population * percent / 100)


def allocate(size: int, counts: Mapping[str, int]) -> dict[str, int]:
    """Share ``size`` between strata in proportion to ``counts`` (Hamilton's largest-remainder method).

    Each stratum gets the whole part of its quota ``size * count / total``; the cases left go one each to
    the largest remainders (ties: the larger stratum, then the smaller key). No stratum gets more than it has.
    """
    total = sum(counts.values())
    if size > total:
        raise ValueError("the sample is larger than the population")
    if total == 0:
        return {}
    shares = {key: size * n // total for key, n in counts.items()}
    left = size - sum(shares.values())
    order = sorted(counts, key=lambda k: (-(size * counts[k] % total), -counts[k], k))
    for key in order[:left]:
        shares[key] += 1
    return shares


@dataclass(frozen=True)
class Drawn:
    """One drawn case: its id, its stratum (the cell's path) and its place in the draw (1 = first)."""

    case_id: int
    stratum: str
    position: int


def draw(seed: str, cases: Iterable[tuple[int, str]], size: int, *, stratified: bool) -> list[Drawn]:
    """Draw ``size`` of ``cases`` ((case id, cell path) pairs) by rank under ``seed``.

    Returns the drawn cases in rank order across the whole draw (stratum by stratum when stratified: the
    strata in path order, each in rank order), numbered from 1.

    Raises:
        ValueError: ``size`` is larger than the number of cases.
    """
    units = list(dict.fromkeys(cases))  # each case once; the order comes from the ranks below
    if size > len(units):
        raise ValueError("the sample is larger than the population")
    key = seed.encode()
    ranked = sorted(units, key=lambda unit: (hmac.digest(key, str(unit[0]).encode(), "sha256"), unit[0]))
    if not stratified:
        chosen = ranked[:size]
    else:
        counts: dict[str, int] = {}
        for _case_id, stratum in units:
            counts[stratum] = counts.get(stratum, 0) + 1
        quota = allocate(size, counts)
        by_stratum: dict[str, list[tuple[int, str]]] = {}
        for unit in ranked:  # in rank order: each stratum's list is ranked too
            by_stratum.setdefault(unit[1], []).append(unit)
        chosen = [u for stratum in sorted(quota) for u in by_stratum[stratum][: quota[stratum]]]
    return [Drawn(case_id, stratum, i) for i, (case_id, stratum) in enumerate(chosen, 1)]


def population_digest(case_ids: Sequence[int] | Iterable[int]) -> str:
    """SHA-256 of the population's case ids, sorted, one per line: what the sample was drawn from, so that
    a later redraw can show it starts from the same cases (cases move with a member's transfer)."""
    text = "\n".join(str(i) for i in sorted(case_ids))
    return hashlib.sha256(text.encode()).hexdigest()
