"""The introduction letter (giấy giới thiệu sinh hoạt đảng) as a PDF, in the layout of the Party's documents
(Guidance 36-HD/VPTW on the form of Party documents, as ``inspections/documents.py``): the sending committee
and the letter's number top left, the Party's name and the place and date top right, the title, the text,
and the signature block with the document signer that signed it.

ReportLab with the Noto Serif fonts of ``partycard.printing`` embedded; ``invariant`` so the same data give
the same bytes. Printed documents are Vietnamese directly, dates dd/mm/yyyy. No Django.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table

from partycard.printing.party_document import (
    BOLD,
    REGULAR,
    document_header,
    fonts_register,
    signature_block,
    styles,
)

__all__ = ["KIND_WORDS", "LetterData", "letter_pdf"]

#: The kinds (``choices.Kind`` values) as the letter words them.
KIND_WORDS = {
    "official": "chuyển sinh hoạt đảng chính thức",
    "temporary": "chuyển sinh hoạt đảng tạm thời",
    "internal": "chuyển sinh hoạt đảng nội bộ",
}
STATUS_WORDS = {"official": "đảng viên chính thức", "probationary": "đảng viên dự bị"}


def _day(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


@dataclass(frozen=True)
class LetterData:
    committee: str  # the sending committee, as it signs
    parent: str  # the committee above it (the first line of the issuing body), "" at the top
    number: str
    place: str
    issued_on: dt.date
    kind: str  # a ``choices.Kind`` value
    member: str
    date_of_birth: dt.date
    member_status: str  # a ``MemberStatus`` value
    card_number: str
    file_number: str
    from_cell: str
    to_cell: str
    to_committee: str  # the receiving cell's organisation above it, to whom the letter is addressed
    reason: str
    decided_on: dt.date
    present_by: dt.date
    until: dt.date | None
    signer: str  # the document signer's subject, as the signature block names it


_S = {
    **styles(),
    "title": ParagraphStyle("title", fontName=BOLD, fontSize=15, leading=20, alignment=TA_CENTER),
    "text": ParagraphStyle("text", fontName=REGULAR, fontSize=12.5, leading=19, alignment=TA_JUSTIFY),
    "small": ParagraphStyle("small", fontName=REGULAR, fontSize=9.5, leading=12),
}


def _p(text: str, style: str = "text") -> Paragraph:
    return Paragraph(escape(text), _S[style])


def _header(data: LetterData) -> Table:
    return document_header(
        above=data.parent,
        issuers=[data.committee.upper()],
        number=data.number,
        place=data.place,
        issued_on=data.issued_on,
        widths=(85 * mm, 95 * mm),
    )


def letter_pdf(data: LetterData) -> bytes:
    """The introduction letter, as A4 PDF bytes (the same bytes for the same data)."""
    fonts_register()
    status = STATUS_WORDS.get(data.member_status, "đảng viên")
    lines = [
        f"Kính gửi: {data.to_committee}",
        f"{data.committee} trân trọng giới thiệu đồng chí: {data.member}",
        f"Sinh ngày: {_day(data.date_of_birth)}. Là {status}"
        + (f", số thẻ đảng viên: {data.card_number}" if data.card_number else "")
        + (f", số lý lịch: {data.file_number}" if data.file_number else "")
        + ".",
        f"Đang sinh hoạt tại: {data.from_cell}.",
        f"Được {KIND_WORDS.get(data.kind, 'chuyển sinh hoạt đảng')} đến: {data.to_cell}"
        + (f", đến ngày {_day(data.until)}" if data.until else "")
        + ".",
        f"Lý do: {data.reason} (quyết định ngày {_day(data.decided_on)}).",
        "Đề nghị các đồng chí tiếp nhận và quản lý, giúp đỡ đồng chí đảng viên sinh hoạt đảng "
        "theo Điều lệ Đảng.",
        f"Giấy giới thiệu có giá trị đến hết ngày {_day(data.present_by)}: đảng viên xuất trình giấy này và "
        "thẻ đảng viên điện tử với chi bộ nơi đến trong thời hạn đó.",
    ]
    signature = signature_block(
        recipients=[f"- {data.to_committee},", f"- {data.from_cell},", "- Lưu hồ sơ đảng viên."],
        signature=[
            _p(f"T/M {data.committee.upper()}", "head_bold"),
            Spacer(1, 6 * mm),
            _p("Đã ký số", "head"),
            _p(data.signer, "small"),
        ],
        widths=(85 * mm, 95 * mm),
        style=_S,
    )
    story: list[Any] = [
        _header(data),
        Spacer(1, 10 * mm),
        _p("GIẤY GIỚI THIỆU SINH HOẠT ĐẢNG", "title"),
        _p("-----", "head"),
        Spacer(1, 6 * mm),
        *(_p(line) for line in lines),
        Spacer(1, 8 * mm),
        KeepTogether([signature]),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, title=f"Giấy giới thiệu sinh hoạt đảng {data.number}",
        leftMargin=25 * mm, rightMargin=15 * mm, topMargin=20 * mm, bottomMargin=20 * mm, invariant=True,
        initialFontName=REGULAR,
    )  # fmt: skip
    doc.build(story)
    return out.getvalue()
