"""The notice of an inspection's conclusion (thông báo kết luận kiểm tra) as a PDF, in the layout of the
Party's documents (Guidance 36-HD/VPTW on the form of Party documents): the issuing body top left (the
committee, then its Inspection Commission, then a star) and the Party's name top right, the number under the
body and the place and date under the name, the title, the text, the recipients and the signature block.

ReportLab, with the Noto Serif fonts shipped in ``partycard.printing`` embedded (Vietnamese diacritics exact
on every machine). Printed documents are Vietnamese directly, dates dd/mm/yyyy, counts "1.860". No Django:
the page reads the rows and passes them here.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
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

__all__ = ["KIND_WORDS", "ConclusionData", "FindingRow", "conclusion_pdf"]

#: The finding kinds (``choices.FindingKind`` values) as the printed notice words them.
KIND_WORDS: dict[str, str] = {
    "correct": "Đúng quy định",
    "eligibility_wrong": "Xét điều kiện đổi thẻ chưa đúng",
    "data_wrong": "Thông tin đảng viên sai",
    "procedure_not_followed": "Không đúng quy trình",
    "handover_improper": "Trao thẻ không đúng quy định",
}


def _n(value: int) -> str:
    """A count with the Vietnamese thousands separator: 1.860."""
    return f"{value:,}".replace(",", ".")


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _lower_first(text: str) -> str:
    """The subject inside a sentence: its first letter in lower case, the rest (names, numbers) as written."""
    return text[:1].lower() + text[1:]


@dataclass(frozen=True)
class FindingRow:
    position: int
    member: str
    cell: str
    kind: str  # a ``FindingKind`` value
    note: str


@dataclass(frozen=True)
class ConclusionData:
    committee: str  # the committee whose Inspection Commission issues the notice
    number: str  # the notice's number ("05-TB/UBKT"); blank: left for the office to fill in
    place: str
    issued_on: dt.date
    decision_number: str
    decided_on: dt.date
    inspected: str
    subject: str
    period_start: dt.date
    period_end: dt.date
    population: int
    sampled: int
    seed: str
    stratified: bool
    counts: dict[str, int]  # findings by kind value
    conclusion: str
    signer: str = ""
    rows: Sequence[FindingRow] = field(default_factory=tuple)  # the findings other than "correct"


_S = {
    **styles(),
    "title": ParagraphStyle("title", fontName=BOLD, fontSize=14, leading=18, alignment=TA_CENTER),
    "subtitle": ParagraphStyle("subtitle", fontName=BOLD, fontSize=12, leading=16, alignment=TA_CENTER),
    "text": ParagraphStyle(
        "text",
        fontName=REGULAR,
        fontSize=12,
        leading=17,
        alignment=TA_JUSTIFY,
        firstLineIndent=10 * mm,
        spaceAfter=4,
    ),
}


def _p(text: str, style: str = "text") -> Paragraph:
    return Paragraph(escape(text), _S[style])


def _header(data: ConclusionData) -> Table:
    """The two-column head of a Party document (Guidance 36-HD/VPTW): issuing body and number on the left,
    the Party's name (underlined) and the place and date on the right."""
    return document_header(
        above=data.committee,
        issuers=["ỦY BAN KIỂM TRA"],
        number=data.number or ".........",
        place=data.place,
        issued_on=data.issued_on,
        widths=(80 * mm, 100 * mm),
    )


def _counts_table(data: ConclusionData) -> Table:
    rows: list[list[Any]] = [["Kết quả kiểm tra từng hồ sơ", "Số hồ sơ"]]
    rows += [[KIND_WORDS.get(kind, kind), _n(n)] for kind, n in data.counts.items()]
    rows.append(["Tổng số hồ sơ được kiểm tra", _n(data.sampled)])
    table = Table(rows, colWidths=[120 * mm, 35 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 10),
                ("FONT", (0, 0), (-1, 0), BOLD, 10),
                ("FONT", (0, -1), (-1, -1), BOLD, 10),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ]
        )
    )
    return table


def _rows_table(rows: Sequence[FindingRow]) -> LongTable:
    table: list[list[Any]] = [["STT", "Đảng viên", "Chi bộ", "Kết quả", "Nội dung"]]
    for r in rows:
        kind = KIND_WORDS.get(r.kind, r.kind)
        table.append(
            [str(r.position), _p(r.member, "cell"), _p(r.cell, "cell"), _p(kind, "cell"), _p(r.note, "cell")]
        )
    grid = LongTable(table, colWidths=[11 * mm, 38 * mm, 38 * mm, 34 * mm, 59 * mm], repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 9.5),
                ("FONT", (0, 0), (-1, 0), BOLD, 9.5),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return grid


def _signature(data: ConclusionData) -> Table:
    """Recipients bottom left; "T/M ỦY BAN KIỂM TRA", the title and the signer bottom right."""
    right = [
        _p("T/M ỦY BAN KIỂM TRA", "head_bold"),
        _p("CHỦ NHIỆM", "head_bold"),
        Spacer(1, 18 * mm),
        _p(data.signer, "head_bold") if data.signer else _p("", "head"),
    ]
    return signature_block(
        recipients=["- " + data.inspected + ",", "- Lưu Ủy ban Kiểm tra."],
        signature=right,
        widths=(80 * mm, 100 * mm),
    )


def conclusion_pdf(data: ConclusionData) -> bytes:
    """The notice of the conclusion of the inspection, as A4 PDF bytes (the same bytes for the same data)."""
    fonts_register()
    sampling = "chọn mẫu ngẫu nhiên" + (", phân tầng theo chi bộ" if data.stratified else "")
    story: list[Any] = [
        _header(data),
        Spacer(1, 8 * mm),
        _p("THÔNG BÁO", "title"),
        _p("KẾT LUẬN KIỂM TRA", "title"),
        _p(f"{data.subject} tại {data.inspected}", "subtitle"),
        _p("-----", "head"),
        Spacer(1, 4 * mm),
        _p(
            f"Thực hiện Quyết định số {data.decision_number} ngày {_day(data.decided_on)} của Ủy ban "
            f"Kiểm tra {data.committee}, Đoàn kiểm tra đã kiểm tra {_lower_first(data.subject)} tại "
            f"{data.inspected}, "
            f"thời kỳ từ ngày {_day(data.period_start)} đến ngày {_day(data.period_end)}."
        ),
        _p(
            f"Đoàn kiểm tra đã thẩm tra, xác minh {_n(data.sampled)} hồ sơ đổi thẻ đảng viên trên tổng số "
            f"{_n(data.population)} hồ sơ của tổ chức đảng được kiểm tra ({sampling}; mã mẫu {data.seed}, "
            "dùng để chọn lại đúng mẫu này khi cần). Kết quả như sau:"
        ),
        Spacer(1, 2 * mm),
        _counts_table(data),
        Spacer(1, 4 * mm),
    ]
    if data.rows:
        story += [
            _p("Các hồ sơ chưa đúng quy định:"),
            Spacer(1, 2 * mm),
            _rows_table(data.rows),
            Spacer(1, 4 * mm),
        ]
    story.append(_p("Ủy ban Kiểm tra kết luận:"))
    story += [_p(line.strip()) for line in data.conclusion.splitlines() if line.strip()]
    story.append(
        _p(
            f"Đề nghị {data.inspected} tổ chức khắc phục những hạn chế, thiếu sót nêu trên và báo cáo "
            "kết quả khắc phục về Ủy ban Kiểm tra."
        )
    )
    story += [Spacer(1, 4 * mm), KeepTogether([_signature(data)])]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=f"Thông báo kết luận kiểm tra {data.number}".strip(),
        leftMargin=25 * mm, rightMargin=15 * mm, topMargin=20 * mm, bottomMargin=20 * mm, invariant=True,
        initialFontName=REGULAR,
    )  # fmt: skip
    doc.build(story)
    return out.getvalue()
