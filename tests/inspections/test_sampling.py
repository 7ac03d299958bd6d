"""The sample's rule (inspections/sampling.py), from its text: the same seed and cases draw the same sample,
whatever order the cases come in; a share is rounded up; a stratified sample shares the cases between the
cells in proportion to their size; a sample never holds a case twice nor more cases than there are."""

from __future__ import annotations

import hashlib
import hmac
import random

import pytest

from partycard.inspections.sampling import allocate, draw, population_digest, rank, sample_size

CASES = [(i, "TW.HN.A." if i <= 60 else "TW.HN.B." if i <= 90 else "TW.HN.C.") for i in range(1, 101)]


def test_the_same_seed_draws_the_same_sample_whatever_the_order() -> None:
    shuffled = CASES[:]
    random.Random(7).shuffle(shuffled)
    for stratified in (True, False):
        first = draw("a1b2c3", CASES, 10, stratified=stratified)
        assert draw("a1b2c3", shuffled, 10, stratified=stratified) == first
        assert draw("a1b2c3", list(reversed(CASES)), 10, stratified=stratified) == first


def test_another_seed_draws_another_sample() -> None:
    samples = {tuple(d.case_id for d in draw(f"seed-{k}", CASES, 10, stratified=False)) for k in range(20)}
    assert len(samples) == 20


def test_the_rank_is_hmac_sha256_of_the_case_id_under_the_seed() -> None:
    """Anyone with the seed re-draws the sample with any HMAC tool: the lowest digests are taken."""
    expected = hmac.new(b"s33d", b"42", hashlib.sha256).digest()
    assert rank("s33d", 42) == expected
    by_hand = sorted(CASES, key=lambda c: hmac.new(b"s33d", str(c[0]).encode(), hashlib.sha256).digest())[:7]
    assert [d.case_id for d in draw("s33d", CASES, 7, stratified=False)] == [c[0] for c in by_hand]


def test_a_stratified_sample_is_shared_in_proportion_to_the_cells() -> None:
    # 60, 30 and 10 cases: a sample of 10 is 6, 3 and 1.
    drawn = draw("x", CASES, 10, stratified=True)
    per_cell = {
        cell: sum(1 for d in drawn if d.stratum == cell) for cell in ("TW.HN.A.", "TW.HN.B.", "TW.HN.C.")
    }
    assert per_cell == {"TW.HN.A.": 6, "TW.HN.B.": 3, "TW.HN.C.": 1}
    assert [d.position for d in drawn] == list(range(1, 11))
    assert len({d.case_id for d in drawn}) == 10
    # Each cell's cases are its own: the stratum is the case's cell.
    cells = dict(CASES)
    assert all(cells[d.case_id] == d.stratum for d in drawn)


def test_the_largest_remainders_get_the_cases_left() -> None:
    # Quotas 7 * (5, 3, 2) / 10 = 3.5, 2.1, 1.4: the whole parts 3, 2, 1 and the one left to 0.5.
    assert allocate(7, {"a": 5, "b": 3, "c": 2}) == {"a": 4, "b": 2, "c": 1}
    # Equal remainders: the larger cell first, then the path.
    assert allocate(1, {"a": 1, "b": 1}) == {"a": 1, "b": 0}
    assert allocate(3, {"a": 2, "b": 4}) == {"a": 1, "b": 2}
    assert sum(allocate(13, {"a": 17, "b": 5, "c": 9, "d": 1}).values()) == 13


def test_a_share_is_rounded_up_and_a_size_is_kept() -> None:
    assert sample_size(11, percent=10) == 2  # 1.1 cases: the team verifies 2
    assert sample_size(9, percent=100) == 9
    assert sample_size(1, percent=1) == 1
    assert sample_size(500, size=25) == 25
    for bad in ({}, {"size": 3, "percent": 5}, {"size": 0}, {"percent": 0}, {"percent": 101}):
        with pytest.raises(ValueError):
            sample_size(10, **bad)


def test_a_sample_larger_than_the_cases_is_refused() -> None:
    with pytest.raises(ValueError):
        draw("x", CASES[:5], 6, stratified=False)
    with pytest.raises(ValueError):
        draw("x", CASES[:5], 6, stratified=True)
    assert len(draw("x", CASES[:5], 5, stratified=True)) == 5


def test_the_population_digest_ignores_order_and_sees_a_change() -> None:
    assert population_digest([3, 1, 2]) == population_digest([1, 2, 3])
    assert population_digest([1, 2, 3]) != population_digest([1, 2, 4])
