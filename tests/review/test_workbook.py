"""The review workbook's layout and its defences (issue 17): the signed base copy, the locked keys, the
validation lists, no live formula, every bad value named by sheet, row, column and reason."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
import pytest
from django.utils.translation import gettext
from openpyxl.utils import get_column_letter

from partycard.registry import services as registry
from partycard.registry.models import Member
from partycard.review.errors import WorkbookProblems
from partycard.review.fields import EDITABLE, FIELDS, ID_HEADER, LOCKED
from partycard.review.services import review_export, review_import
from partycard.review.workbook import BASE_SHEET, INSTRUCTIONS_SHEET, LISTS_SHEET, META_SHEET, sheet_name
from tests.review.conftest import HEADERS, cell_of, column_of, edit

pytestmark = pytest.mark.django_db

CHANGED = (
    "The hidden base copy of the workbook was changed (or its signature does not match): it cannot be "
    "trusted. Export a new workbook."
)


def _book(content: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(content))


@pytest.fixture
def exported(tree: Any, members: dict[str, Member], officers: Any) -> tuple[Any, bytes]:
    return review_export(actor=officers["grassroots"], organisation=tree.school)


def _refusal(officers: Any, content: bytes) -> WorkbookProblems:
    with pytest.raises(WorkbookProblems) as refused:
        review_import(actor=officers["grassroots"], file=content)
    return refused.value


def test_one_sheet_per_cell_one_row_per_active_member(
    exported: tuple[Any, bytes], tree: Any, members: dict[str, Member]
) -> None:
    book = _book(exported[1])
    assert book.sheetnames[0] == INSTRUCTIONS_SHEET and book.active.title == INSTRUCTIONS_SHEET
    assert [s for s in book.sheetnames if not s.startswith("_") and s != INSTRUCTIONS_SHEET] == [
        tree.cell_a.code, tree.cell_b.code
    ]  # fmt: skip
    a = book[tree.cell_a.code]
    assert [c.value for c in a[1]] == [ID_HEADER, *(f.header for f in FIELDS)]
    ids = {int(r[0].value) for r in a.iter_rows(min_row=2)}
    assert ids == {members["an"].pk, members["binh"].pk, members["cuong"].pk}  # not the deceased
    binh = members["binh"]
    assert cell_of(a, binh.pk, HEADERS["gender"]).value == "Nữ"
    assert cell_of(a, binh.pk, HEADERS["date_of_birth"]).value == "01/07/1980"
    assert cell_of(a, binh.pk, HEADERS["citizen_id"]).value == "001180012346"  # text: the zeros kept
    assert cell_of(a, binh.pk, HEADERS["ethnicity"]).value == "Kinh"
    text = "\n".join(str(c.value) for row in book[INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value)
    assert "RÀ SOÁT" in text and "dd/mm/yyyy" in text


def test_the_base_and_the_signature_are_very_hidden(exported: tuple[Any, bytes]) -> None:
    book = _book(exported[1])
    for name in (BASE_SHEET, META_SHEET, LISTS_SHEET):
        assert book[name].sheet_state == "veryHidden"
    meta = {r[0].value: r[1].value for r in book[META_SHEET].iter_rows()}
    assert meta["export"] == str(exported[0].pk) and len(meta["signature"]) == 64


def test_the_key_columns_are_locked_and_the_others_unlocked(
    exported: tuple[Any, bytes], tree: Any, members: dict[str, Member]
) -> None:
    sheet = _book(exported[1])[tree.cell_a.code]
    assert sheet.protection.sheet is True
    an = members["an"].pk
    assert cell_of(sheet, an, ID_HEADER).protection.locked is True
    for f in LOCKED:
        assert cell_of(sheet, an, f.header).protection.locked is True, f.name
    for f in EDITABLE:
        assert cell_of(sheet, an, f.header).protection.locked is False, f.name
    assert sheet["A1"].protection.locked is True  # the headers too


def test_choice_fields_have_validation_lists_and_dates_a_check(
    exported: tuple[Any, bytes], tree: Any
) -> None:
    book = _book(exported[1])
    sheet = book[tree.cell_a.code]
    by_column: dict[str, Any] = {}
    for dv in sheet.data_validations.dataValidation:
        for area in dv.sqref.ranges:
            by_column[get_column_letter(area.min_col)] = dv
    lists = book[LISTS_SHEET]

    def listed(name: str) -> list[str]:
        letter = get_column_letter(column_of(sheet, HEADERS[name]))
        dv = by_column[letter]
        assert dv.type == "list"
        ref = dv.formula1.split("!")[1].replace("$", "")
        return [c.value for row in lists[ref] for c in row]

    assert listed("gender") == ["Nam", "Nữ"]
    assert "Phật giáo" in listed("religion") and "Không" in listed("religion")
    assert len(listed("ethnicity")) == 54 and "Tày" in listed("ethnicity")
    assert "Đại học" in listed("qualification")
    date_dv = by_column[get_column_letter(column_of(sheet, HEADERS["date_of_birth"]))]
    assert date_dv.type == "custom" and "LEN(" in date_dv.formula1


def test_formula_text_is_written_as_text(tree: Any, make_member: Any, officers: Any) -> None:
    m = make_member(full_name="Nguyễn Văn Bẫy", occupation='=HYPERLINK("http://x","y")', home_town="+84 Hà")
    _export, content = review_export(actor=officers["secretary"], organisation=tree.cell_a)
    book = _book(content)
    for name in book.sheetnames:
        for row in book[name].iter_rows():
            for cell in row:
                assert cell.data_type != "f", (name, cell.coordinate, cell.value)
    sheet = book[tree.cell_a.code]
    cell = cell_of(sheet, m.pk, HEADERS["occupation"])
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s" and cell.quotePrefix
    # Unchanged, it comes back unchanged.
    assert review_import(actor=officers["secretary"], file=content).proposal["changes"] == []


def test_a_changed_base_copy_is_refused(exported: tuple[Any, bytes], officers: Any, members: Any) -> None:
    def tamper(book: Any) -> None:
        base = book[BASE_SHEET]
        for row in base.iter_rows(min_row=2):
            if row[1].value == str(members["an"].pk):
                values = json.loads(row[2].value)
                values[[f.name for f in FIELDS].index("occupation")] = "Bác sĩ"
                row[2].value = json.dumps(values, ensure_ascii=False)

    refused = _refusal(officers, edit(exported[1], tamper))
    assert refused.message == gettext(CHANGED)
    assert [p.message for p in refused.problems] == [gettext(CHANGED)]


def test_a_changed_identity_is_refused(exported: tuple[Any, bytes], officers: Any) -> None:
    def tamper(book: Any) -> None:
        for row in book[META_SHEET].iter_rows():
            if row[0].value == "exporter":
                row[1].value = "Người Khác"

    assert _refusal(officers, edit(exported[1], tamper)).message == gettext(CHANGED)


def test_a_removed_signature_is_refused(exported: tuple[Any, bytes], officers: Any) -> None:
    def unsign(book: Any) -> None:
        for row in book[META_SHEET].iter_rows():
            if row[0].value == "signature":
                row[1].value = None

    refused = _refusal(officers, edit(exported[1], unsign))
    assert "signature" in refused.message or refused.message == gettext(
        "The workbook's signature is missing: the hidden base copy cannot be checked."
    )
    refused = _refusal(officers, edit(exported[1], lambda b: b.remove(b[META_SHEET])))
    assert refused.message == gettext(
        "The workbook carries no signature: it was not exported by partycard for a review, or its hidden "
        "part was removed."
    )


def test_a_re_signed_base_with_another_key_is_refused(
    exported: tuple[Any, bytes], officers: Any, settings: Any
) -> None:
    """A forger who knows the layout but not the server's key cannot make a base pass."""
    settings.SECRET_KEY = "another key entirely, not the server's one"
    from partycard.review.services import review_export as again

    _e, forged = again(actor=officers["grassroots"], organisation=officers["grassroots"].organisation)
    settings.SECRET_KEY = "x" * 60
    assert _refusal(officers, forged).message == gettext(CHANGED)


def test_bad_values_are_listed_by_sheet_row_and_column(
    exported: tuple[Any, bytes], tree: Any, members: dict[str, Member], officers: Any
) -> None:
    an, binh = members["an"], members["binh"]

    def bad(book: Any) -> None:
        sheet = book[tree.cell_a.code]
        cell_of(sheet, an.pk, HEADERS["date_of_birth"]).value = "31/02/1980"
        cell_of(sheet, binh.pk, HEADERS["gender"]).value = "Không rõ"
        cell_of(sheet, binh.pk, HEADERS["phone"]).value = "12345"

    refused = _refusal(officers, edit(exported[1], bad))
    found = {(p.sheet, p.row, p.column) for p in refused.problems}
    sheet = _book(exported[1])[tree.cell_a.code]
    row_of = {int(r[0].value): r[0].row for r in sheet.iter_rows(min_row=2)}
    assert (tree.cell_a.code, row_of[an.pk], HEADERS["date_of_birth"]) in found
    assert (tree.cell_a.code, row_of[binh.pk], HEADERS["gender"]) in found
    assert (tree.cell_a.code, row_of[binh.pk], HEADERS["phone"]) in found
    date_problem = next(p for p in refused.problems if p.column == HEADERS["date_of_birth"])
    assert date_problem.message == gettext("'%(value)s' is not a valid date (expected dd/mm/yyyy)") % {
        "value": "31/02/1980"
    }
    assert Member.objects.get(pk=an.pk).date_of_birth.year == 1980  # nothing written


def test_a_row_not_in_the_base_is_refused_with_its_row(
    exported: tuple[Any, bytes], tree: Any, members: dict[str, Member], officers: Any
) -> None:
    def add(book: Any) -> None:
        sheet = book[tree.cell_a.code]
        sheet.append(["99999", None, None, "Người Mới"])
        sheet.append([str(members["dung"].pk), None, None, "Ở chi bộ khác"])  # cell B's member

    refused = _refusal(officers, edit(exported[1], add))
    rows = sorted(p.row for p in refused.problems if p.column == ID_HEADER)
    assert rows == [5, 6]


def test_a_formula_typed_in_is_refused(
    exported: tuple[Any, bytes], tree: Any, members: dict[str, Member], officers: Any
) -> None:
    def formula(book: Any) -> None:
        cell_of(book[tree.cell_a.code], members["an"].pk, HEADERS["occupation"]).value = "=1+1"

    refused = _refusal(officers, edit(exported[1], formula))
    assert [p.column for p in refused.problems] == [HEADERS["occupation"]]


def test_a_member_rule_is_checked_on_the_returned_values(
    exported: tuple[Any, bytes], tree: Any, members: dict[str, Member], officers: Any
) -> None:
    """Made official before being admitted (Member.clean's rule), named at its row and column."""

    def early(book: Any) -> None:
        cell_of(book[tree.cell_a.code], members["an"].pk, HEADERS["date_official"]).value = "01/01/2000"

    refused = _refusal(officers, edit(exported[1], early))
    assert {p.column for p in refused.problems} >= {HEADERS["date_official"]}


def test_a_citizen_id_held_by_another_member_is_refused(
    exported: tuple[Any, bytes], tree: Any, members: dict[str, Member], officers: Any
) -> None:
    def taken(book: Any) -> None:
        cell_of(book[tree.cell_a.code], members["cuong"].pk, HEADERS["citizen_id"]).value = "001080012348"

    refused = _refusal(officers, edit(exported[1], taken))
    assert [p.column for p in refused.problems] == [HEADERS["citizen_id"]]


def test_a_required_field_emptied_is_refused(
    exported: tuple[Any, bytes], tree: Any, members: dict[str, Member], officers: Any
) -> None:
    def empty(book: Any) -> None:
        cell_of(book[tree.cell_a.code], members["an"].pk, HEADERS["full_name"]).value = None

    refused = _refusal(officers, edit(exported[1], empty))
    assert HEADERS["full_name"] in {p.column for p in refused.problems}


def test_not_a_workbook_and_a_zip_bomb_are_refused(
    officers: Any, tree: Any, members: Any, settings: Any
) -> None:
    refused = _refusal(officers, b"not a zip at all")
    assert refused.problems and refused.problems[0].row == 0
    settings.PARTYCARD = {**settings.PARTYCARD, "IMPORT_MAX_UNPACKED_BYTES": 1000}
    _e, content = review_export(actor=officers["grassroots"], organisation=tree.school)
    assert "unpacks" in _refusal(officers, content).message or _refusal(officers, content).problems


def test_sheet_names_are_sanitised() -> None:
    assert sheet_name("HN-BD-01-01") == "HN-BD-01-01"
    assert sheet_name("A[B]:C*D?E/F\\G") == "ABCDEFG"
    assert len(sheet_name("X" * 40)) == 31
    assert sheet_name("_goc") == "_goc_"


def test_a_value_changed_in_both_to_the_same_is_not_a_conflict(
    exported: tuple[Any, bytes], tree: Any, members: dict[str, Member], officers: Any
) -> None:
    an, officer = members["an"], officers["grassroots"]
    registry.member_update(actor=officer, member=an, changes={"occupation": "Giáo viên"})

    def same(book: Any) -> None:
        cell_of(book[tree.cell_a.code], an.pk, HEADERS["occupation"]).value = "Giáo viên"

    review = review_import(actor=officer, file=edit(exported[1], same))
    assert [c["outcome"] for c in review.proposal["changes"]] == ["same"]
    assert review.change_count == review.conflict_count == 0


def test_a_locked_column_changed_after_unprotecting_is_refused(
    exported: tuple[Any, bytes], tree: Any, members: dict[str, Member], officers: Any
) -> None:
    def unlock(book: Any) -> None:
        sheet = book[tree.cell_a.code]
        sheet.protection.sheet = False
        cell_of(sheet, members["cuong"].pk, HEADERS["file_number"]).value = "999999HN"

    refused = _refusal(officers, edit(exported[1], unlock))
    assert [(p.column, p.message) for p in refused.problems] == [
        (HEADERS["file_number"], gettext("this column is locked: it is not changed here"))
    ]


def test_a_value_too_long_and_a_blank_ethnic_group_are_refused(
    exported: tuple[Any, bytes], tree: Any, members: dict[str, Member], officers: Any
) -> None:
    def long(book: Any) -> None:
        sheet = book[tree.cell_a.code]
        cell_of(sheet, members["an"].pk, HEADERS["occupation"]).value = "x" * 101
        cell_of(sheet, members["an"].pk, HEADERS["ethnicity"]).value = None

    refused = _refusal(officers, edit(exported[1], long))
    assert {p.column for p in refused.problems} == {HEADERS["occupation"], HEADERS["ethnicity"]}
