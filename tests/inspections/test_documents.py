"""The conclusion notice (documents.conclusion_pdf): a Party document's parts, in order, Vietnamese exact, the
same bytes for the same data (archived notices can be compared), and a long text flowing onto more pages."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from partycard.inspections.documents import ConclusionData, FindingRow, conclusion_pdf

DATA = ConclusionData(
    committee="Đảng bộ thành phố Huế", number="07-TB/UBKT", place="Huế", issued_on=dt.date(2026, 10, 5),
    decision_number="21-QĐ/UBKT", decided_on=dt.date(2026, 9, 1), inspected="Đảng bộ phường Thuận Hóa",
    subject="Việc thực hiện đổi thẻ đảng viên", period_start=dt.date(2026, 1, 1),
    period_end=dt.date(2026, 8, 31),
    population=1860, sampled=93, seed="0f" * 16, stratified=True,
    counts={"correct": 90, "eligibility_wrong": 1, "data_wrong": 2, "procedure_not_followed": 0,
            "handover_improper": 0},
    conclusion="Đảng bộ phường Thuận Hóa thực hiện cơ bản đúng quy định.\nCòn ba hồ sơ phải đính chính.",
    signer="Lê Văn Kiểm",
    rows=(FindingRow(4, "Trần Thị Ngọc Ánh", "Chi bộ khu vực 3", "data_wrong", "Sai ngày sinh."),),
)  # fmt: skip


def _text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_notice_has_the_parts_of_a_party_document_in_order() -> None:
    text = _text(conclusion_pdf(DATA))
    parts = [
        "ĐẢNG BỘ THÀNH PHỐ HUẾ", "ỦY BAN KIỂM TRA", "Số 07-TB/UBKT",
        "ĐẢNG CỘNG SẢN VIỆT NAM", "Huế, ngày 05 tháng 10 năm 2026", "THÔNG BÁO", "KẾT LUẬN KIỂM TRA",
        "Quyết định số 21-QĐ/UBKT ngày 01/09/2026", "từ ngày 01/01/2026 đến ngày 31/08/2026",
        "93 hồ sơ", "1.860 hồ sơ", "Trần Thị Ngọc Ánh", "Sai ngày sinh.", "Còn ba hồ sơ phải đính chính.",
        "Nơi nhận:", "T/M ỦY BAN KIỂM TRA", "CHỦ NHIỆM", "Lê Văn Kiểm",
    ]  # fmt: skip
    for part in parts:
        assert part in text, part
    # The head's columns may be read in either order; the body reads in order.
    body = [text.index(p) for p in parts[5:]]
    assert body == sorted(body)


def test_the_same_data_gives_the_same_bytes() -> None:
    assert conclusion_pdf(DATA) == conclusion_pdf(DATA)


def test_a_long_conclusion_continues_on_the_next_pages() -> None:
    from dataclasses import replace

    long = replace(
        DATA, conclusion="\n".join(f"Đoạn {i}: nội dung kết luận chi tiết." * 6 for i in range(80))
    )
    reader = PdfReader(io.BytesIO(conclusion_pdf(long)))
    assert len(reader.pages) > 2
    assert "Đoạn 79" in _text(conclusion_pdf(long))
