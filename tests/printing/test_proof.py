"""The proof page an officer approves before a batch is released: one A4 page (ISO 216: 210 × 297 mm)
with the layout version and the words that make it worthless as a card."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from partycard.printing.card import proof_pdf
from partycard.printing.layout import Layout
from tests.printing.conftest import make_card, pdffonts_emb, poppler

MM = 72 / 25.4


def test_the_proof_is_one_a4_page_with_the_version_and_the_specimen_words(
    tmp_path: Path, layout: Layout
) -> None:
    pdf = proof_pdf(layout=layout, sample=make_card(full_name="Đặng Văn Ất"))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) / MM == pytest.approx(210, abs=0.5)
    assert float(box.height) / MM == pytest.approx(297, abs=0.5)
    path = tmp_path / "proof.pdf"
    path.write_bytes(pdf)
    text = poppler("pdftotext", "-enc", "UTF-8", path, "-")
    assert "BẢN MẪU - KHÔNG CÓ GIÁ TRỊ SỬ DỤNG" in text
    assert "bố cục: v1" in text
    assert "Đặng Văn Ất" in text.splitlines()
    # The legend names every field the layout prints.
    for label in ("Họ và tên", "Ngày sinh", "Giới tính", "Ngày vào Đảng", "Ngày chính thức", "Số thẻ",
                  "Cơ quan cấp thẻ", "Ngày cấp", "Ảnh"):  # fmt: skip
        assert label in text
    fonts = pdffonts_emb(path)
    assert fonts and all(emb == "yes" for _, emb in fonts), fonts
