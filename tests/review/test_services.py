"""The review's services end to end: export, bring back, merge, apply (issue 17)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from partycard.audit.models import AuditEvent
from partycard.core.errors import DomainError
from partycard.core.scope import OutOfScope
from partycard.registry import services as registry
from partycard.registry.models import Member
from partycard.review.models import ReviewExport, ReviewImport
from partycard.review.services import conflict_key, review_apply, review_export, review_import
from tests.review.conftest import HEADERS, cell_of, edit

pytestmark = pytest.mark.django_db


def _set(member: Member, field: str, value: str) -> Any:
    def change(book: Any) -> None:
        cell_of(book[member.organisation.code], member.pk, HEADERS[field]).value = value

    return change


def test_an_untouched_workbook_proposes_no_change(
    tree: Any, members: dict[str, Member], officers: Any
) -> None:
    export, content = review_export(actor=officers["grassroots"], organisation=tree.school)
    assert export.member_count == 4  # the ended member is not reviewed
    review = review_import(actor=officers["grassroots"], file=content)
    assert review.proposal == {"changes": [], "deleted": [], "missing": []}
    assert review.change_count == review.conflict_count == 0
    assert review_apply(actor=officers["grassroots"], review_import=review, decisions={}) == 0


def test_one_field_edited_is_applied_with_the_history_reason(
    tree: Any, members: dict[str, Member], officers: Any
) -> None:
    an = members["an"]
    _export, content = review_export(actor=officers["secretary"], organisation=tree.cell_a)
    returned = edit(content, _set(an, "occupation", "Giáo viên"))
    review = review_import(actor=officers["secretary"], file=returned)
    (change,) = review.proposal["changes"]
    assert (change["field"], change["base"], change["theirs"], change["outcome"]) == (
        "occupation", None, "Giáo viên", "theirs"
    )  # fmt: skip
    assert Member.objects.get(pk=an.pk).occupation == ""  # the import decides nothing
    assert review_apply(actor=officers["grassroots"], review_import=review, decisions={}) == 1
    an.refresh_from_db()
    assert an.occupation == "Giáo viên"
    last = an.history.order_by("-history_id").first()
    assert last.history_change_reason == ("Rà soát ngoại tuyến bởi Phạm Văn Bí Thư; áp dụng bởi Lê Thị Cơ Sở")
    assert AuditEvent.objects.filter(action="review.apply", object_id=str(review.pk)).exists()
    review.refresh_from_db()
    assert review.status == ReviewImport.Status.APPLIED and review.applied_count == 1
    with pytest.raises(DomainError):
        review_apply(actor=officers["grassroots"], review_import=review, decisions={})


def test_a_concurrent_change_is_a_conflict_until_decided(
    tree: Any, members: dict[str, Member], officers: Any
) -> None:
    an, officer = members["an"], officers["grassroots"]
    _export, content = review_export(actor=officer, organisation=tree.school)
    registry.member_update(actor=officer, member=an, changes={"occupation": "Kỹ sư"})
    returned = edit(content, _set(an, "occupation", "Giáo viên"))
    review = review_import(actor=officer, file=returned)
    (change,) = review.proposal["changes"]
    assert (change["ours"], change["theirs"], change["outcome"]) == ("Kỹ sư", "Giáo viên", "conflict")
    assert review.conflict_count == 1
    with pytest.raises(DomainError):
        review_apply(actor=officer, review_import=review, decisions={})
    assert Member.objects.get(pk=an.pk).occupation == "Kỹ sư"
    review_apply(actor=officer, review_import=review, decisions={conflict_key(an.pk, "occupation"): "theirs"})
    assert Member.objects.get(pk=an.pk).occupation == "Giáo viên"


def test_keep_ours_leaves_the_record(tree: Any, members: dict[str, Member], officers: Any) -> None:
    an, officer = members["an"], officers["grassroots"]
    _export, content = review_export(actor=officer, organisation=tree.school)
    registry.member_update(actor=officer, member=an, changes={"occupation": "Kỹ sư"})
    returned = edit(
        content, lambda b: (_set(an, "occupation", "Giáo viên")(b), _set(an, "home_town", "Huế")(b))
    )
    review = review_import(actor=officer, file=returned)
    assert (
        review_apply(
            actor=officer, review_import=review, decisions={conflict_key(an.pk, "occupation"): "ours"}
        )
        == 1
    )
    an.refresh_from_db()
    assert (an.occupation, an.home_town) == ("Kỹ sư", "Huế")


def test_deleted_upstream_is_listed_not_applied(tree: Any, members: dict[str, Member], officers: Any) -> None:
    officer, dung = officers["grassroots"], members["dung"]
    _export, content = review_export(actor=officer, organisation=tree.school)
    registry.member_transfer(actor=officer, member=dung, to_cell=tree.cell_a, reason="chuyển")
    returned = edit(content, _set(dung, "occupation", "Nông dân"))
    # The sheet is the cell at export time: dung's row is still on cell B's sheet.
    review = review_import(actor=officer, file=returned)
    assert review.proposal["changes"] == []
    (gone,) = review.proposal["deleted"]
    assert gone["member"] == dung.pk and gone["fields"] == ["occupation"]
    review_apply(actor=officer, review_import=review, decisions={})
    assert Member.objects.get(pk=dung.pk).occupation == ""


def test_an_ended_member_is_deleted_upstream(tree: Any, members: dict[str, Member], officers: Any) -> None:
    officer, an = officers["grassroots"], members["an"]
    _export, content = review_export(actor=officer, organisation=tree.cell_a)
    registry.member_update(actor=officer, member=an, changes={"status": "deceased"})
    review = review_import(actor=officer, file=edit(content, _set(an, "phone", "0987654321")))
    assert [d["member"] for d in review.proposal["deleted"]] == [an.pk]


def test_a_rule_violation_at_apply_writes_nothing(
    tree: Any, members: dict[str, Member], officers: Any
) -> None:
    """A citizen ID taken by another member after the import: the whole apply is refused."""
    officer, an, binh = officers["grassroots"], members["an"], members["binh"]
    _export, content = review_export(actor=officer, organisation=tree.cell_a)
    returned = edit(
        content,
        lambda b: (_set(an, "occupation", "Giáo viên")(b), _set(binh, "citizen_id", "001180077777")(b)),
    )
    review = review_import(actor=officer, file=returned)
    registry.member_create(
        actor=officer,
        data={**_data(tree), "citizen_id": "001180077777", "gender": "F", "full_name": "Người Khác"},
    )
    with pytest.raises(DomainError):
        review_apply(actor=officer, review_import=review, decisions={})
    assert Member.objects.get(pk=an.pk).occupation == ""
    assert ReviewImport.objects.get(pk=review.pk).status == ReviewImport.Status.PROPOSED


def _data(tree: Any) -> dict[str, Any]:
    from tests.conftest import member_data

    return member_data(tree.cell_a)


def test_a_scope_refusal_at_apply_writes_nothing(
    tree: Any, members: dict[str, Member], officers: Any
) -> None:
    """Cell A's secretary may not apply a review of the school (cell B is outside their scope)."""
    an, dung = members["an"], members["dung"]
    _export, content = review_export(actor=officers["grassroots"], organisation=tree.school)
    returned = edit(content, lambda b: (_set(an, "occupation", "X")(b), _set(dung, "occupation", "Y")(b)))
    review = review_import(actor=officers["grassroots"], file=returned)
    with pytest.raises(OutOfScope):
        review_apply(actor=officers["secretary"], review_import=review, decisions={})
    assert Member.objects.get(pk=an.pk).occupation == ""
    assert Member.objects.get(pk=dung.pk).occupation == ""


def test_a_record_changed_after_the_import_refuses_the_apply(
    tree: Any, members: dict[str, Member], officers: Any
) -> None:
    officer, an = officers["grassroots"], members["an"]
    _export, content = review_export(actor=officer, organisation=tree.cell_a)
    review = review_import(actor=officer, file=edit(content, _set(an, "occupation", "Giáo viên")))
    registry.member_update(actor=officer, member=an, changes={"occupation": "Kỹ sư"})
    with pytest.raises(DomainError) as refused:
        review_apply(actor=officer, review_import=review, decisions={})
    assert "import the workbook again" in refused.value.message or refused.value.code == "conflict"
    assert Member.objects.get(pk=an.pk).occupation == "Kỹ sư"


def test_exports_are_recorded(tree: Any, members: dict[str, Member], officers: Any) -> None:
    export, _content = review_export(actor=officers["grassroots"], organisation=tree.school)
    stored = ReviewExport.objects.get(pk=export.pk)
    assert stored.exported_by == officers["grassroots"] and stored.organisation == tree.school
    assert stored.members == sorted(m.pk for k, m in members.items() if k != "ended")
    assert len(stored.digest) == 64
    assert stored.exported_at <= dt.datetime.now(dt.UTC)


def test_out_of_scope_exports_and_imports_are_refused(
    tree: Any, members: dict[str, Member], officers: Any
) -> None:
    with pytest.raises(OutOfScope):
        review_export(actor=officers["hue"], organisation=tree.school)
    with pytest.raises(OutOfScope):
        review_export(actor=officers["secretary"], organisation=tree.school)  # above the cell
    _export, content = review_export(actor=officers["grassroots"], organisation=tree.school)
    with pytest.raises(OutOfScope):
        review_import(actor=officers["hue"], file=content)  # the export is not in their scope
    with pytest.raises(OutOfScope):
        review_export(actor=officers["inspector"], organisation=tree.school)  # the role may not
