"""The streaming .xlsx writer: what a spreadsheet reads back, and what it must never evaluate.

ECMA-376 Part 1: a cell without ``r`` takes the next column (§18.3.1.4); an inline string (``t="inlineStr"``)
is text, never a formula (a formula is an ``<f>`` element, §18.3.1.40); a worksheet holds at most 1,048,576
rows (Excel's specification and limits). XML 1.0 §2.2: the C0 controls other than tab, LF and CR cannot
appear in a document at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from partycard.registry.xlsx_stream import WorkbookWriter, column_letter, row_encoder, text_cell

COLUMNS: list[str | dict[str, str]] = ["text", "code", "date", {"M": "Nam", "F": "Nữ"}]
HEADER = ["Tên", "Mã", "Ngày", "Giới"]
TRICKY = [
    "=1+1", "+1", "-", "@SUM(A1)", "\tcmd", "\r=1+1", "＝1+1", "a & b < c > d", "hai\ndòng", " lề trái",
    "lề phải ", "nul\x00ở giữa", "Nguyễn Văn An",
]  # fmt: skip


def _write(path: Path, rows: list[list[object]], **options: Any) -> None:
    encode = row_encoder(COLUMNS)
    with WorkbookWriter(path, sheet_name="Danh sách", header=HEADER, **options) as book:
        for row in rows:
            book.write(encode(row).encode())


def test_values_read_back_as_written(tmp_path: Path) -> None:
    rows: list[list[object]] = [[value, "001080012345", dt.date(1980, 3, 12), "F"] for value in TRICKY]
    rows.append([None, None, None, None])
    rows.append(["", "", None, "X"])  # an unknown choice is shown as stored
    path = tmp_path / "t.xlsx"
    _write(path, rows)
    sheet = load_workbook(path).worksheets[0]
    got = list(sheet.iter_rows(values_only=True))
    assert got[0] == tuple(HEADER)
    # A NUL cannot be in an XML document: it is dropped (the import refuses control characters anyway).
    expected = [v.replace("\x00", "") for v in TRICKY]
    assert [r[0] for r in got[1 : len(TRICKY) + 1]] == expected
    assert got[1][1:] == ("001080012345", dt.datetime(1980, 3, 12), "Nữ")
    assert got[-2] == (None, None, None, None) and got[-1] == (None, None, None, "X")
    assert sheet.cell(2, 2).number_format == "@" and sheet.cell(2, 3).number_format == "DD/MM/YYYY"
    assert sheet.cell(1, 1).font.b


@pytest.mark.parametrize("value", [v for v in TRICKY if v[0] in "=+-@\t\r＝"])
def test_a_formula_like_text_is_an_inline_string_with_the_quote_prefix(tmp_path: Path, value: str) -> None:
    path = tmp_path / "t.xlsx"
    _write(path, [[value, value, None, None]])
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    sheet = load_workbook(path).worksheets[0]
    for column in (1, 2):
        cell = sheet.cell(2, column)
        assert cell.data_type == "s" and cell.quotePrefix, (value, column)
    assert sheet.cell(2, 2).number_format == "@"


def test_the_fast_path_and_text_cell_agree(tmp_path: Path) -> None:
    """Ordinary rows take the generated expressions, rows with a character to escape ``text_cell``."""
    encode = row_encoder(["text", "code"])
    for value in [*TRICKY, "Lê Thị Hồng", "x", ""]:
        cells = text_cell(value) + text_cell(value, code=True)
        assert encode([value, value]) == f"<row>{cells}</row>", repr(value)


def test_rows_beyond_a_sheet_go_on_in_the_next(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    _write(path, [[f"người {i}", None, None, None] for i in range(5)], max_rows=3)  # header + 2 a sheet
    book = load_workbook(path)
    assert [s.title for s in book.worksheets] == ["Danh sách", "Danh sách (2)", "Danh sách (3)"]
    names = [r[0] for s in book.worksheets for r in s.iter_rows(min_row=2, values_only=True)]
    assert names == [f"người {i}" for i in range(5)]
    assert all(s.cell(1, 1).value == "Tên" for s in book.worksheets)


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    with pytest.raises(RuntimeError), WorkbookWriter(path, sheet_name="x", header=["a"]) as book:
        book.write(b"<c/>")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_the_file_as_written_and_evaluates_nothing(tmp_path: Path) -> None:
    """A second reader besides openpyxl: LibreOffice's own conversion to CSV shows the texts, not the
    results of formulas, the codes with their leading zeros and the dates as dd/mm/yyyy."""
    path = tmp_path / "t.xlsx"
    _write(
        path,
        [
            ['=HYPERLINK("http://x","y")', "001080012345", dt.date(1980, 3, 12), "F"],
            ["-1+1", None, None, "M"],
        ],
    )
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    rows = list(csv.reader((tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()))
    assert rows == [
        HEADER,
        ['=HYPERLINK("http://x","y")', "001080012345", "12/03/1980", "Nữ"],
        ["-1+1", "", "", "Nam"],
    ]
