"""The paper review form (PDF) for cells with no computer (issue 17): per cell, one block per member with
each reviewed field's current value and a blank line to write the correction, and the signature lines of
the cell's secretary and of the reviewer (a Youth Union volunteer, say).

The layout of a Party document (Guidance 36-HD/VPTW) from ``printing.party_document``: the head, the title,
the blocks, the signature block. The printed text is Vietnamese directly, dates dd/mm/yyyy. No Django: the
service reads the members and passes them.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
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

__all__ = ["TITLE", "PaperData", "PaperMember", "PaperSection", "paper_pdf"]

TITLE = "PHIẾU RÀ SOÁT, BỔ SUNG THÔNG TIN ĐẢNG VIÊN"
_BLANK = "." * 60  # the line to write a correction on


@dataclass(frozen=True)
class PaperMember:
    member_id: int
    full_name: str
    fields: Sequence[tuple[str, str]]  # (Vietnamese header, current value as shown)


@dataclass(frozen=True)
class PaperSection:
    cell_code: str
    cell_name: str
    members: Sequence[PaperMember]


@dataclass(frozen=True)
class PaperData:
    organisation: str  # the organisation the form was made for
    parent: str  # the committee above it (the head's first line), blank if none
    issued_on: dt.date
    export_id: int
    sections: Sequence[PaperSection]


_S = {
    **styles(),
    "title": ParagraphStyle("title", fontName=BOLD, fontSize=13, leading=17, alignment=TA_CENTER),
    "member": ParagraphStyle("member", fontName=BOLD, fontSize=10.5, leading=14, spaceBefore=4),
    "text": ParagraphStyle("text", fontName=REGULAR, fontSize=10.5, leading=14),
}


def _p(text: str, style: str = "text") -> Paragraph:
    return Paragraph(escape(text), _S[style])


def _block(number: int, member: PaperMember) -> KeepTogether:
    rows: list[list[Any]] = [["Thông tin", "Hiện ghi trong hồ sơ", "Sửa lại / bổ sung (nếu sai, thiếu)"]]
    for header, value in member.fields:
        rows.append([_p(header, "cell"), _p(value or "—", "cell"), _BLANK[:40]])
    table = Table(rows, colWidths=[42 * mm, 62 * mm, 66 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 9),
                ("FONT", (0, 0), (-1, 0), BOLD, 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
                ("TEXTCOLOR", (2, 1), (2, -1), colors.Color(0.6, 0.6, 0.6)),
            ]
        )
    )
    head = _p(f"{number}. {member.full_name} (mã đảng viên {member.member_id})", "member")
    return KeepTogether([head, Spacer(1, 1.5 * mm), table, Spacer(1, 4 * mm)])


def _signatures() -> Any:
    """The recipients left; the reviewer's and the cell secretary's signatures side by side, right."""

    def column(*lines: str) -> list[Any]:
        return [
            *(_p(line, "head_bold") for line in lines),
            _p("(Ký, ghi rõ họ tên)", "head"),
            Spacer(1, 18 * mm),
        ]

    both = Table([[column("NGƯỜI RÀ SOÁT"), column("T/M CHI BỘ", "BÍ THƯ")]], colWidths=[55 * mm, 55 * mm])
    both.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return signature_block(
        recipients=["- Cấp ủy cơ sở (để cập nhật),", "- Lưu chi bộ."],
        signature=[both],
        widths=(60 * mm, 112 * mm),
    )


def paper_pdf(data: PaperData) -> bytes:
    """The form as A4 portrait PDF bytes: each cell on its own pages (the same bytes for the same data)."""
    fonts_register()
    story: list[Any] = []
    for index, section in enumerate(data.sections):
        if index:
            story.append(PageBreak())
        story += [
            document_header(
                above=data.parent, issuers=[data.organisation.upper(), f"CHI BỘ {section.cell_name.upper()}"],
                number=f"{data.export_id}/RS", place="..........", issued_on=data.issued_on,
                widths=(85 * mm, 85 * mm),
            ),
            Spacer(1, 6 * mm),
            _p(TITLE, "title"),
            _p(f"Chi bộ: {section.cell_name} ({section.cell_code}) — {len(section.members)} đảng viên",
               "head"),
            Spacer(1, 4 * mm),
            _p(
                "Đề nghị từng đồng chí đối chiếu thông tin hiện ghi trong hồ sơ; nếu sai hoặc còn thiếu, ghi "
                "thông tin đúng vào cột bên phải (ngày ghi dd/mm/yyyy). Cấp ủy cơ sở cập nhật vào hệ thống "
                "sau khi xem xét."
            ),
            Spacer(1, 4 * mm),
        ]  # fmt: skip
        story += [_block(n, m) for n, m in enumerate(section.members, start=1)]
        if not section.members:
            story.append(_p("Chi bộ không có đảng viên đang sinh hoạt."))
        story += [Spacer(1, 6 * mm), KeepTogether([_signatures()])]
    if not data.sections:
        story.append(_p("Không có chi bộ nào để rà soát."))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=f"{TITLE} ({data.organisation})",
        leftMargin=20 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm, invariant=True,
        initialFontName=REGULAR,
    )  # fmt: skip
    doc.build(story)
    return out.getvalue()
