"""The shared head and signature block of a Party document (Guidance 36-HD/VPTW): the issuing body, the
star and the number on the left, the Party's name and the place and date on the right; the recipients
on the left of the foot, the signature on the right. Read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate

from partycard.printing.party_document import (
    REGULAR,
    document_header,
    fonts_register,
    signature_block,
    styles,
)


def _pdf(story: list) -> str:
    fonts_register()
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, invariant=True, initialFontName=REGULAR).build(story)
    return " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(out.getvalue())).pages).split()
    )


def test_the_head_reads_issuer_star_number_then_party_and_place_date() -> None:
    head = document_header(
        above="Đảng bộ tỉnh Thừa Thiên Huế",
        issuers=["ĐẢNG ỦY PHƯỜNG THUẬN HÓA"],
        number="12-GGT/ĐU",
        place="Huế",
        issued_on=dt.date(2026, 3, 5),
        widths=(85 * mm, 95 * mm),
    )
    text = _pdf([head])
    parts = ["ĐẢNG BỘ TỈNH THỪA THIÊN HUẾ", "ĐẢNG ỦY PHƯỜNG THUẬN HÓA", "*", "Số 12-GGT/ĐU"]
    parts += ["ĐẢNG CỘNG SẢN VIỆT NAM", "Huế, ngày 05 tháng 03 năm 2026"]
    at = -1
    for part in parts:
        found = text.find(part, at + 1)
        assert found > at, (part, text)
        at = found


def test_the_head_leaves_out_a_blank_upper_committee() -> None:
    text = _pdf(
        [
            document_header(
                above="",
                issuers=["THÀNH ỦY HÀ NỘI"],
                number="5",
                place="Hà Nội",
                issued_on=dt.date(2026, 1, 2),
                widths=(85 * mm, 95 * mm),
            )
        ]
    )
    assert text.startswith("THÀNH ỦY HÀ NỘI")


def test_the_signature_block_has_the_recipients_then_the_signature() -> None:
    fonts_register()
    s = styles()
    block = signature_block(
        recipients=["- Ban Tổ chức,", "- Lưu."],
        signature=[Paragraph("T/M ĐẢNG ỦY", s["head_bold"]), Paragraph("BÍ THƯ", s["head_bold"])],
        widths=(85 * mm, 95 * mm),
    )
    text = _pdf([block])
    for part in ("Nơi nhận:", "- Ban Tổ chức,", "- Lưu.", "T/M ĐẢNG ỦY", "BÍ THƯ"):
        assert part in text, (part, text)
