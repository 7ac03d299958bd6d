"""The three-way field merge (``registry.merge.merge_fields``), by property, from diff3's definition.

diff3 (GNU diffutils manual, "Comparing Three Files"; Khanna, Kuber and Pierce, "A Formal Investigation of
Diff3", FSTTCS 2007), applied to one field with the common ancestor O (the base), A (ours) and B (theirs):

* A = B: no conflict; the result is that value (both sides made the same change, or neither changed it);
* A = O ≠ B: only B changed it: the result is B;
* B = O ≠ A: only A changed it: the result is A;
* O, A, B pairwise different: a conflict.

The expectations below are written from those four lines, not from the code under test; the values are a
small alphabet (including None: a field missing from a mapping reads as None) so that every case is drawn
often, and the one-field table is also checked exhaustively.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from partycard.registry.merge import Outcome, merge_fields

VALUES = [None, "a", "b", "c"]
FIELDS = ["f1", "f2", "f3", "f4"]
value = st.sampled_from(VALUES)
record = st.dictionaries(st.sampled_from(FIELDS), value)


def expected(o: Any, a: Any, b: Any) -> Outcome:
    """diff3 on one field, as the module docstring states it."""
    if a == b:
        return Outcome.UNCHANGED if a == o else Outcome.SAME
    if a == o:
        return Outcome.THEIRS
    if b == o:
        return Outcome.OURS
    return Outcome.CONFLICT


def result(o: Any, a: Any, b: Any) -> Any:
    """The merged value diff3 produces where there is no conflict."""
    return b if a == o else a


def test_every_one_field_case_exhaustively() -> None:
    for o, a, b in itertools.product(VALUES, repeat=3):
        (m,) = merge_fields({"f": o}, {"f": a}, {"f": b}, ["f"])
        assert (m.base, m.ours, m.theirs) == (o, a, b)
        assert m.outcome is expected(o, a, b), (o, a, b)
        assert m.applies == (m.outcome is Outcome.THEIRS)


@given(record, record, record)
def test_each_field_follows_diff3(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    merged = merge_fields(base, ours, theirs, FIELDS)
    assert [m.field for m in merged] == FIELDS  # one per field, in the order asked
    for m in merged:
        o, a, b = base.get(m.field), ours.get(m.field), theirs.get(m.field)
        assert m.outcome is expected(o, a, b)


@given(record, record, record)
def test_both_changed_differently_is_the_only_conflict(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> None:
    for m in merge_fields(base, ours, theirs, FIELDS):
        both_changed = m.ours != m.base and m.theirs != m.base
        assert (m.outcome is Outcome.CONFLICT) == (both_changed and m.ours != m.theirs)


@given(record, record, record)
def test_both_changed_the_same_way_is_no_conflict_and_nothing_to_apply(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> None:
    for m in merge_fields(base, ours, theirs, FIELDS):
        if m.ours == m.theirs:
            assert m.outcome in (Outcome.UNCHANGED, Outcome.SAME) and not m.applies
            assert (m.outcome is Outcome.SAME) == (m.ours != m.base)


@given(record, record)
def test_one_side_changed_takes_that_side(base: dict[str, Any], changed: dict[str, Any]) -> None:
    """Only the workbook changed: every changed field applies. Only partycard changed: nothing applies."""
    for m in merge_fields(base, base, changed, FIELDS):
        assert m.outcome is (Outcome.THEIRS if m.theirs != m.base else Outcome.UNCHANGED)
        assert m.applies == (m.theirs != m.base)
    for m in merge_fields(base, changed, base, FIELDS):
        assert m.outcome is (Outcome.OURS if m.ours != m.base else Outcome.UNCHANGED)
        assert not m.applies


@given(record, record)
def test_neither_changed_is_unchanged(base: dict[str, Any], other: dict[str, Any]) -> None:
    assert all(m.outcome is Outcome.UNCHANGED for m in merge_fields(base, base, base, FIELDS))
    # A field absent from every mapping is None on each side: unchanged.
    assert merge_fields({}, {}, {}, ["x"])[0].outcome is Outcome.UNCHANGED


@given(record, record, record)
def test_swapping_the_sides_swaps_ours_and_theirs(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> None:
    swap = {Outcome.OURS: Outcome.THEIRS, Outcome.THEIRS: Outcome.OURS}
    for m, n in zip(
        merge_fields(base, ours, theirs, FIELDS), merge_fields(base, theirs, ours, FIELDS), strict=True
    ):
        assert n.outcome is swap.get(m.outcome, m.outcome)


@given(record, record, record)
def test_applying_the_merge_gives_diff3s_result(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> None:
    """Writing ``theirs`` where the merge applies, to the record as it is now, yields diff3's merged value
    on every field without a conflict: the record ends as if both sides' changes were made."""
    record_now = {f: ours.get(f) for f in FIELDS}
    for m in merge_fields(base, ours, theirs, FIELDS):
        if m.applies:
            record_now[m.field] = m.theirs
    for f in FIELDS:
        o, a, b = base.get(f), ours.get(f), theirs.get(f)
        if expected(o, a, b) is not Outcome.CONFLICT:
            assert record_now[f] == result(o, a, b)
        else:
            assert record_now[f] == a  # a conflict is left as partycard holds it until decided


@given(record, record, record)
def test_merging_twice_changes_nothing_more(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> None:
    """After applying what the merge takes, bringing the same returned copy back again applies nothing."""
    after = {f: ours.get(f) for f in FIELDS}
    for m in merge_fields(base, ours, theirs, FIELDS):
        if m.applies:
            after[m.field] = m.theirs
    assert not any(m.applies for m in merge_fields(base, after, theirs, FIELDS))
