"""The forms of the lost or damaged card procedure as PDF, in the layout of the Party's documents
(Guidance 36-HD/VPTW): the issuing body top left (the committee above, then the issuing one, a star, the
number) and the Party's name top right with the place and date, the title, the list, the signature block.

- 2-TDV / 3-TDV: the grassroots committee's list of members whose card was lost / damaged, proposed for
  a new card;
- 2A-TDV / 3A-TDV: the upper committee's organisation board's compiled list of them;
- 4-TDV: the upper committee's standing committee's decision to reissue (old and new numbers).

ReportLab with the Noto Serif fonts of ``partycard.printing`` (Vietnamese exact on every machine); the
printed text is Vietnamese directly, dates dd/mm/yyyy. No Django: the view reads the rows and passes them.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from partycard.printing.party_document import (
    BOLD,
    REGULAR,
    document_header,
    fonts_register,
    signature_block,
    styles,
)

__all__ = ["TITLES", "FormData", "FormRow", "form_pdf"]

#: Each form's title, as printed.
TITLES: dict[str, str] = {
    "2-TDV": "DANH SÁCH ĐẢNG VIÊN BỊ MẤT THẺ ĐẢNG VIÊN ĐỀ NGHỊ CẤP LẠI THẺ",
    "3-TDV": "DANH SÁCH ĐẢNG VIÊN BỊ HỎNG THẺ ĐẢNG VIÊN ĐỀ NGHỊ CẤP LẠI THẺ",
    "2A-TDV": "TỔNG HỢP DANH SÁCH ĐẢNG VIÊN BỊ MẤT THẺ ĐẢNG VIÊN ĐỀ NGHỊ CẤP LẠI THẺ",
    "3A-TDV": "TỔNG HỢP DANH SÁCH ĐẢNG VIÊN BỊ HỎNG THẺ ĐẢNG VIÊN ĐỀ NGHỊ CẤP LẠI THẺ",
    "4-TDV": "QUYẾT ĐỊNH CẤP LẠI THẺ ĐẢNG VIÊN",
}
_KIND = {"lost": "Mất thẻ", "damaged": "Hỏng thẻ"}


@dataclass(frozen=True)
class FormRow:
    member: str
    date_of_birth: dt.date | None
    cell: str
    old_number: str
    kind: str  # "lost" / "damaged"
    circumstances: str
    good_reason: bool | None
    new_number: str = ""


@dataclass(frozen=True)
class FormData:
    form: str  # "2-TDV" … "4-TDV"
    body: str  # the issuing organisation (the grassroots committee, or the upper committee)
    parent: str  # the organisation above it (the first line of the head), blank if none
    place: str
    issued_on: dt.date
    number: str  # blank: left for the office to fill in
    rows: Sequence[FormRow]


_S = {
    **styles(),
    "form": ParagraphStyle("form", fontName=BOLD, fontSize=10, leading=13, alignment=TA_RIGHT),
    "title": ParagraphStyle("title", fontName=BOLD, fontSize=13, leading=17, alignment=TA_CENTER),
    "text": ParagraphStyle(
        "text",
        fontName=REGULAR,
        fontSize=12,
        leading=16,
        alignment=TA_JUSTIFY,
        firstLineIndent=10 * mm,
        spaceAfter=3,
    ),
}


def _p(text: str, style: str = "text") -> Paragraph:
    return Paragraph(escape(text), _S[style])


def _day(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _header(data: FormData) -> Table:
    """The two-column head (Guidance 36-HD/VPTW): the body and the number left, the Party's name (underlined)
    and the place and date right."""
    standing = "BAN THƯỜNG VỤ " if data.form == "4-TDV" else ""
    board = ["BAN TỔ CHỨC"] if data.form in ("2A-TDV", "3A-TDV") else []
    return document_header(
        above=data.parent,
        issuers=[standing + data.body.upper(), *board],
        number=data.number or ".........",
        place=data.place or "..........",
        issued_on=data.issued_on,
        widths=(110 * mm, 140 * mm),
    )


def _reason(row: FormRow) -> str:
    if row.kind != "lost":
        return "—"
    if row.good_reason is None:
        return "Chưa xác định"
    return "Có" if row.good_reason else "Không (đề nghị khiển trách)"


def _rows_table(data: FormData) -> LongTable:
    decision = data.form == "4-TDV"
    head = ["STT", "Họ và tên", "Ngày sinh", "Chi bộ", "Số thẻ cũ", "Mất / hỏng", "Hoàn cảnh"]
    head += ["Số thẻ mới"] if decision else ["Lý do chính đáng"]
    table: list[list[Any]] = [head]
    for i, r in enumerate(data.rows, start=1):
        last = r.new_number if decision else _reason(r)
        table.append(
            [
                str(i),
                _p(r.member, "cell"),
                _day(r.date_of_birth),
                _p(r.cell, "cell"),
                r.old_number,
                _KIND.get(r.kind, r.kind),
                _p(r.circumstances, "cell"),
                last,
            ]
        )
    widths = [11, 45, 23, 42, 24, 22, 60, 30]
    grid = LongTable(table, colWidths=[w * mm for w in widths], repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 9.5),
                ("FONT", (0, 0), (-1, 0), BOLD, 9.5),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
            ]
        )
    )
    return grid


def _signature(data: FormData) -> Table:
    if data.form in ("2A-TDV", "3A-TDV"):
        who, title = "T/L BAN THƯỜNG VỤ", "TRƯỞNG BAN TỔ CHỨC"
        recipients = ["- Ban Thường vụ (để quyết định),", "- Lưu Ban Tổ chức."]
    elif data.form == "4-TDV":
        who, title = "T/M BAN THƯỜNG VỤ", "BÍ THƯ"
        recipients = [
            "- Các tổ chức cơ sở đảng có đảng viên,",
            "- Ban Tổ chức (để làm thẻ),",
            "- Lưu Văn phòng.",
        ]
    else:
        who, title = "T/M ĐẢNG ỦY", "BÍ THƯ"
        recipients = ["- Ban Tổ chức cấp ủy cấp trên,", "- Lưu."]
    right = [
        _p(who, "head_bold"),
        _p(title, "head_bold"),
        Spacer(1, 10 * mm),
        _p("(Ký, ghi rõ họ tên, đóng dấu)", "head"),
    ]
    return signature_block(recipients=recipients, signature=right, widths=(130 * mm, 120 * mm))


def _text(data: FormData) -> list[Any]:
    n = len(data.rows)
    if data.form == "4-TDV":
        return [
            _p("- Căn cứ Điều lệ Đảng và Quy định của Ban Chấp hành Trung ương về thẻ đảng viên;"),
            _p("- Căn cứ Hướng dẫn của Ban Tổ chức Trung ương về cấp lại thẻ đảng viên bị mất, bị hỏng;"),
            _p("- Xét đề nghị của Ban Tổ chức và của các tổ chức cơ sở đảng,"),
            _p("BAN THƯỜNG VỤ QUYẾT ĐỊNH:", "title"),
            _p(
                f"Điều 1. Cấp lại thẻ đảng viên cho {n} đồng chí có tên trong danh sách kèm theo, "
                "với số thẻ mới ghi bên cạnh; thẻ cũ hết giá trị sử dụng kể từ ngày ký."
            ),
            _p(
                "Điều 2. Các tổ chức cơ sở đảng có đảng viên, Ban Tổ chức và các đồng chí có tên tại Điều 1 "
                "chịu trách nhiệm thi hành Quyết định này."
            ),
        ]
    step = "tổng hợp" if data.form in ("2A-TDV", "3A-TDV") else "lập danh sách"
    what = "bị mất" if data.form in ("2-TDV", "2A-TDV") else "bị hỏng"
    return [
        _p(
            f"Thực hiện quy định về thẻ đảng viên, {data.body} {step} {n} đồng chí đảng viên có thẻ "
            f"đảng viên {what}, đề nghị cấp trên xem xét, quyết định cấp lại thẻ đảng viên, như sau:"
        ),
    ]


def form_pdf(data: FormData) -> bytes:
    """The form as A4 landscape PDF bytes (the same bytes for the same data)."""
    fonts_register()
    story: list[Any] = [
        _p(f"Mẫu {data.form}", "form"),
        _header(data),
        Spacer(1, 6 * mm),
        _p(TITLES[data.form], "title"),
        _p("-----", "head"),
        Spacer(1, 3 * mm),
        *_text(data),
        Spacer(1, 3 * mm),
        _rows_table(data),
        Spacer(1, 6 * mm),
        KeepTogether([_signature(data)]),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=landscape(A4), title=f"{TITLES[data.form]} ({data.form})",
        leftMargin=20 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm, invariant=True,
        initialFontName=REGULAR,
    )  # fmt: skip
    doc.build(story)
    return out.getvalue()
