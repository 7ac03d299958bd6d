"""The review's three-way merge end to end, by property (issue 17): for members drawn at random, partycard
and the workbook each change a field (or not, to the same or another value), and some members leave the
cell or end before the workbook comes back. Expectations from diff3's definition (tests/registry/
test_merge.py) and the issue's rule for a member "deleted upstream": listed, never applied.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partycard.registry import services as registry
from partycard.registry.models import Member
from partycard.review.services import conflict_key, review_apply, review_export, review_import
from tests.review.conftest import HEADERS, cell_of, edit

pytestmark = pytest.mark.django_db

# What happens to one member's occupation (blank at the export): in partycard, in the workbook, and
# whether the member leaves the cell before the workbook comes back.
side = st.sampled_from([None, "Giáo viên", "Kỹ sư"])
fate = st.sampled_from(["stays", "ended", "moved"])
case = st.tuples(side, side, fate)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(case, min_size=3, max_size=3))
def test_review_merge_follows_diff3_and_leaves_deleted_upstream_alone(
    cases: list[tuple[Any, Any, str]], tree: Any, members: dict[str, Member], officers: Any
) -> None:
    officer = officers["grassroots"]
    with transaction.atomic():
        people = [members["an"], members["binh"], members["cuong"]]
        _export, content = review_export(actor=officer, organisation=tree.cell_a)
        for member, (ours, _theirs, what) in zip(people, cases, strict=True):
            if ours is not None:
                registry.member_update(actor=officer, member=member, changes={"occupation": ours})
            if what == "ended":
                registry.member_update(actor=officer, member=member, changes={"status": "deceased"})
            elif what == "moved":
                registry.member_transfer(actor=officer, member=member, to_cell=tree.cell_b, reason="x")

        def fill(book: Any) -> None:
            for member, (_ours, theirs, _what) in zip(people, cases, strict=True):
                if theirs is not None:
                    cell_of(book[tree.cell_a.code], member.pk, HEADERS["occupation"]).value = theirs

        review = review_import(actor=officer, file=edit(content, fill))
        changes = {c["member"]: c for c in review.proposal["changes"]}
        deleted = {d["member"] for d in review.proposal["deleted"]}
        decisions = {}
        for member, (ours, theirs, what) in zip(people, cases, strict=True):
            if what != "stays":
                assert member.pk not in changes
                assert (member.pk in deleted) == (theirs is not None)
                continue
            assert member.pk not in deleted
            if theirs is None:
                assert member.pk not in changes  # the workbook changed nothing
            elif ours is None:
                assert changes[member.pk]["outcome"] == "theirs"
            elif ours == theirs:
                assert changes[member.pk]["outcome"] == "same"
            else:
                assert changes[member.pk]["outcome"] == "conflict"
                decisions[conflict_key(member.pk, "occupation")] = "theirs"
        before = {m.pk: Member.objects.get(pk=m.pk).occupation for m in people}
        review_apply(actor=officer, review_import=review, decisions=decisions)
        for member, (_ours, theirs, what) in zip(people, cases, strict=True):
            now = Member.objects.get(pk=member.pk).occupation
            if what != "stays" or theirs is None:
                assert now == before[member.pk]  # deleted upstream, or nothing brought back: untouched
            else:
                assert now == theirs  # taken, the same already, or a conflict decided "theirs"
        transaction.set_rollback(True)
