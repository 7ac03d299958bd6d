"""The printed documents of distribution, rendered from plain rows: the shipment label, the hand-over
receipt of a cell's meeting, the card issuance register (PDF and .xlsx) and the destruction minutes.

ReportLab, with the Noto fonts shipped in ``partycard.printing`` embedded (Vietnamese diacritics exact on
every machine); the QR of a label is drawn from segno's module matrix as vector squares. Documents meant
for print are Vietnamese directly, with dd/mm/yyyy dates (docs/distribution.md). No Django here: the
services read the rows and store the bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import segno
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A6, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from partycard.printing import FONTS

__all__ = [
    "FORMULA_TRIGGERS",
    "DestroyedRow",
    "LabelData",
    "ReceiptRow",
    "RegisterRow",
    "label_pdf",
    "minutes_pdf",
    "receipt_pdf",
    "register_pdf",
    "register_xlsx",
]

REGULAR, BOLD = "NotoSans", "NotoSans-Bold"
# OWASP "CSV Injection": a cell starting with one of these may be read as a formula (and the full-width
# forms some spreadsheet locales accept). The same list as the roster export's (registry/exporting.py).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _fonts() -> None:
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "NotoSans-Regular.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "NotoSans-Bold.ttf")))
        registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)


def _day(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


_TEXT = ParagraphStyle("text", fontName=REGULAR, fontSize=9, leading=11)
_HEAD = ParagraphStyle("head", fontName=BOLD, fontSize=13, leading=16, alignment=1)
_SUB = ParagraphStyle("sub", fontName=REGULAR, fontSize=10, leading=13, alignment=1)
_GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), REGULAR, 8.5),
        ("FONT", (0, 0), (-1, 0), BOLD, 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white]),
        ("TOPPADDING", (0, 1), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 6),
    ]
)


def _p(text: str) -> Paragraph:
    from xml.sax.saxutils import escape

    _fonts()
    return Paragraph(escape(text), _TEXT)


def _build(story: list[Any], *, title: str, pagesize: Any = A4) -> bytes:
    _fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=pagesize, title=title, leftMargin=15 * mm, rightMargin=15 * mm,
        topMargin=15 * mm, bottomMargin=15 * mm, invariant=True, initialFontName=REGULAR,
    )  # fmt: skip
    doc.build(story)
    return out.getvalue()


def _heading(organisation: str, title: str, subtitle: str = "") -> list[Any]:
    from xml.sax.saxutils import escape

    _fonts()
    story: list[Any] = [
        Paragraph("ĐẢNG CỘNG SẢN VIỆT NAM", _SUB),
        Paragraph(escape(organisation), _SUB),
        Spacer(1, 5 * mm),
        Paragraph(escape(title), _HEAD),
    ]
    if subtitle:
        story.append(Paragraph(escape(subtitle), _SUB))
    story.append(Spacer(1, 5 * mm))
    return story


# ---- the shipment label ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelData:
    code: str
    from_name: str
    to_name: str
    count: int
    sent_on: dt.date | None


def label_pdf(label: LabelData) -> bytes:
    """An A6 label: the shipment's code as a QR (error correction M) and in text, from, to, the count."""
    _fonts()
    out = io.BytesIO()
    width, height = landscape(A6)
    canvas = Canvas(out, pagesize=(width, height), invariant=True, initialFontName=REGULAR)
    canvas.setTitle(f"Nhãn lô thẻ {label.code}")
    qr = segno.make(label.code, error="m")
    size = 45 * mm
    modules = list(qr.matrix)
    unit = size / (len(modules) + 8)  # a quiet zone of four modules each side (ISO/IEC 18004 §6.3.8)
    x0, y0 = 8 * mm, height - 8 * mm - size
    canvas.setFillColor(colors.black)
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x0 + (c + 4) * unit, y0 + size - (r + 5) * unit, unit, unit, stroke=0, fill=1)
    text_x = x0 + size + 6 * mm
    canvas.setFont(BOLD, 11)
    canvas.drawString(text_x, height - 14 * mm, "LÔ THẺ ĐẢNG VIÊN")
    canvas.setFont(BOLD, 14)
    canvas.drawString(text_x, height - 22 * mm, label.code)
    canvas.setFont(REGULAR, 9)
    lines = [
        f"Số thẻ: {label.count}",
        f"Ngày gửi: {_day(label.sent_on)}",
    ]
    for i, line in enumerate(lines):
        canvas.drawString(text_x, height - (30 + 6 * i) * mm, line)
    canvas.setFont(REGULAR, 9)
    canvas.drawString(8 * mm, 22 * mm, "Từ: " + label.from_name)
    canvas.setFont(BOLD, 10)
    canvas.drawString(8 * mm, 15 * mm, "Đến: " + label.to_name)
    canvas.setFont(REGULAR, 7)
    canvas.drawString(
        8 * mm, 7 * mm, "Quét mã QR hoặc nhập mã lô khi nhận; đếm số thẻ và ghi lại chênh lệch."
    )
    canvas.showPage()
    canvas.save()
    return out.getvalue()


# ---- the hand-over receipt of a meeting -------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptRow:
    name: str
    date_of_birth: dt.date | None
    card_number: str


def receipt_pdf(*, cell: str, held_on: dt.date, rows: Sequence[ReceiptRow]) -> bytes:
    """The receipt signed at the cell's meeting: one line per member, a signature column."""
    table = [["STT", "Họ và tên", "Ngày sinh", "Số thẻ", "Ký nhận"]]
    table += [[str(i), _p(r.name), _day(r.date_of_birth), r.card_number, ""] for i, r in enumerate(rows, 1)]
    grid = LongTable(table, colWidths=[12 * mm, 62 * mm, 26 * mm, 32 * mm, 48 * mm], repeatRows=1)
    grid.setStyle(_GRID)
    story = _heading(cell, "DANH SÁCH NHẬN THẺ ĐẢNG VIÊN", f"Sinh hoạt chi bộ ngày {_day(held_on)}")
    story += [grid, Spacer(1, 10 * mm), _p(f"Tổng số: {len(rows)} thẻ."), Spacer(1, 6 * mm),
              _p("BÍ THƯ CHI BỘ (ký, ghi rõ họ tên)")]  # fmt: skip
    return _build(story, title=f"Danh sách nhận thẻ {held_on:%d/%m/%Y}")


# ---- the card issuance register ----------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    card_number: str
    name: str
    date_of_birth: dt.date | None
    cell: str
    received_on: dt.date | None  # the deciding committee received the card
    handed_on: dt.date | None  # the cell handed it to the member


REGISTER_HEADERS = [
    "STT", "Số thẻ", "Họ và tên", "Ngày sinh", "Chi bộ", "Ngày nhận thẻ", "Ngày phát thẻ", "Ký nhận",
]  # fmt: skip


def register_pdf(*, committee: str, made_on: dt.date, rows: Iterable[RegisterRow]) -> bytes:
    """The register (sổ phát thẻ đảng viên) as a landscape A4 table repeated header, a signature column."""
    table: list[list[Any]] = [list(REGISTER_HEADERS)]
    count = 0
    for count, r in enumerate(rows, 1):
        table.append([
            str(count), r.card_number, _p(r.name), _day(r.date_of_birth), _p(r.cell),
            _day(r.received_on), _day(r.handed_on), "",
        ])  # fmt: skip
    widths = [12, 30, 55, 24, 60, 26, 26, 34]
    grid = LongTable(table, colWidths=[w * mm for w in widths], repeatRows=1)
    grid.setStyle(_GRID)
    story = _heading(committee, "SỔ PHÁT THẺ ĐẢNG VIÊN", f"Lập ngày {_day(made_on)} · {count} thẻ")
    story.append(grid)
    return _build(story, title="Sổ phát thẻ đảng viên", pagesize=landscape(A4))


def _inert(sheet: Any, value: object) -> WriteOnlyCell:
    """A write-only cell holding ``value`` as a value: text is always a string cell, never a formula (a
    name beginning with ``=`` stays that text; one a spreadsheet could read as a formula once edited also
    carries the quote prefix, as typing ``'`` before it)."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    elif isinstance(value, dt.date):
        cell.number_format = "DD/MM/YYYY"
    return cell


def register_xlsx(*, committee: str, made_on: dt.date, rows: Iterable[RegisterRow]) -> bytes:
    """The same register as a workbook (write-only: a large committee does not sit in memory)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sổ phát thẻ")
    for letter, width in zip("ABCDEFGH", (6, 14, 30, 12, 36, 14, 14, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([_inert(sheet, f"SỔ PHÁT THẺ ĐẢNG VIÊN — {committee}")])
    sheet.append([_inert(sheet, f"Lập ngày {_day(made_on)}")])
    bold = Font(bold=True)
    header = []
    for text in REGISTER_HEADERS:
        cell = _inert(sheet, text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for i, r in enumerate(rows, 1):
        values: list[object] = [
            i,
            r.card_number,
            r.name,
            r.date_of_birth,
            r.cell,
            r.received_on,
            r.handed_on,
            "",
        ]
        sheet.append([_inert(sheet, v) for v in values])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- the destruction minutes --------------------------------------------------------------------------


@dataclass(frozen=True)
class DestroyedRow:
    card_number: str
    name: str
    kind: str  # "thẻ cũ" / "thẻ mới"


def minutes_pdf(
    *, committee: str, destroyed_on: dt.date, council: str, rows: Sequence[DestroyedRow]
) -> bytes:
    """The minutes of a destruction (biên bản hủy thẻ đảng viên): who, when, every card, the count,
    signature lines for the council."""
    story = _heading(committee, "BIÊN BẢN HỦY THẺ ĐẢNG VIÊN", f"Ngày {_day(destroyed_on)}")
    story.append(_p("Hội đồng hủy thẻ gồm:"))
    story += [_p(line.strip()) for line in council.splitlines() if line.strip()]
    story += [Spacer(1, 4 * mm), _p("Đã tiến hành hủy các thẻ đảng viên sau:"), Spacer(1, 2 * mm)]
    table: list[list[Any]] = [["STT", "Số thẻ", "Họ và tên đảng viên", "Loại thẻ"]]
    table += [[str(i), r.card_number, _p(r.name), r.kind] for i, r in enumerate(rows, 1)]
    grid = LongTable(table, colWidths=[14 * mm, 36 * mm, 90 * mm, 30 * mm], repeatRows=1)
    grid.setStyle(_GRID)
    story += [grid, Spacer(1, 6 * mm), _p(f"Tổng số thẻ đã hủy: {len(rows)}."), Spacer(1, 10 * mm)]
    signatures = LongTable(
        [["CHỦ TRÌ", "THƯ KÝ", "THÀNH VIÊN HỘI ĐỒNG"], ["(ký, ghi rõ họ tên)"] * 3, ["", "", ""]],
        colWidths=[60 * mm] * 3,
        rowHeights=[8 * mm, 6 * mm, 25 * mm],
    )
    signatures.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), BOLD, 9),
                ("FONT", (0, 1), (-1, -1), REGULAR, 8),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ]
        )
    )
    story.append(signatures)
    return _build(story, title=f"Biên bản hủy thẻ {destroyed_on:%d/%m/%Y}")
