"""The print-ready card PDF, checked from the standards' text with a print shop's tools (poppler, pypdf).

- ISO/IEC 7810: an ID-1 card is 85.60 mm × 53.98 mm, so every page's TrimBox is that size.
- PDF 1.7 §14.11.2: the TrimBox is the finished page after trimming, the BleedBox the region clipped to
  when output in production (here 3 mm beyond the trim on every side); both lie within the MediaBox.
- The photo is printed at 300 dpi: its image is the photo box's size × 300 / 25.4 pixels.
"""

from __future__ import annotations

import io
import subprocess
import sys
import unicodedata
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from partycard.printing.card import cards_pdf
from partycard.printing.errors import CardDataError, PhotoError
from partycard.printing.layout import Layout
from tests.printing.conftest import jpeg, make_card, pdffonts_emb, poppler

MM = 72 / 25.4  # PDF user space units (1/72 inch) per millimetre


def _write(tmp_path: Path, pdf: bytes, name: str = "cards.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


def test_every_font_is_embedded(tmp_path: Path, layout: Layout) -> None:
    path = _write(tmp_path, cards_pdf([make_card(), make_card(full_name="Đặng Văn Ất")], layout=layout))
    fonts = pdffonts_emb(path)
    assert fonts, "the card shows text, so the PDF must use fonts"
    assert all(emb == "yes" for _, emb in fonts), fonts


@pytest.mark.parametrize("name", ["Nguyễn Thị Thanh Hương", "Đặng Văn Ất", "Huỳnh Thị Ngọc Diệp"])
def test_the_front_page_text_is_the_members_name_exactly(tmp_path: Path, layout: Layout, name: str) -> None:
    assert unicodedata.is_normalized("NFC", name)
    path = _write(tmp_path, cards_pdf([make_card(full_name=name)], layout=layout))
    text = poppler("pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8", path, "-")
    assert name in text.splitlines()


def test_a_name_given_decomposed_is_printed_composed(tmp_path: Path, layout: Layout) -> None:
    # Unicode Standard Annex #15: "ễ" is U+1EC5 in NFC, "e" + U+0302 + U+0303 in NFD.
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn Ất")
    assert decomposed != "Nguyễn Văn Ất"
    path = _write(tmp_path, cards_pdf([make_card(full_name=decomposed)], layout=layout))
    text = poppler("pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8", path, "-")
    assert "Nguy\u1ec5n V\u0103n \u1ea4t" in text.splitlines()


def test_dates_are_day_month_year_and_gender_is_written_out(tmp_path: Path, layout: Layout) -> None:
    card = make_card(gender="F", date_of_birth=date(1978, 4, 9), date_admitted=date(2001, 5, 19))
    path = _write(tmp_path, cards_pdf([card, replace(card, gender="M")], layout=layout))
    front = poppler("pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8", path, "-").splitlines()
    assert "09/04/1978" in front and "19/05/2001" in front and "Nữ" in front
    second_front = poppler("pdftotext", "-f", "3", "-l", "3", "-enc", "UTF-8", path, "-").splitlines()
    assert "Nam" in second_front
    back = poppler("pdftotext", "-f", "2", "-l", "2", "-enc", "UTF-8", path, "-").splitlines()
    assert "18/08/2025" in back and "Đảng ủy phường Ba Đình" in back


def test_each_card_is_a_front_page_then_a_back_page(layout: Layout) -> None:
    cards = [make_card(card_number=f"48001234{i}") for i in range(3)]
    reader = PdfReader(io.BytesIO(cards_pdf(iter(cards), layout=layout)))
    assert len(reader.pages) == 6
    texts = [page.extract_text() for page in reader.pages]
    for i in range(3):
        assert f"48001234{i}" in texts[2 * i] and "Nguyễn Thị Thanh Hương" in texts[2 * i]
        assert "Cơ quan cấp thẻ" in texts[2 * i + 1] and "Nguyễn Thị Thanh Hương" not in texts[2 * i + 1]


def test_page_boxes_are_id1_trim_with_3mm_bleed_inside_the_media(layout: Layout) -> None:
    reader = PdfReader(io.BytesIO(cards_pdf([make_card(), make_card()], layout=layout)))
    for page in reader.pages:
        media = [float(v) / MM for v in page["/MediaBox"]]
        trim = [float(v) / MM for v in page["/TrimBox"]]
        bleed = [float(v) / MM for v in page["/BleedBox"]]
        assert trim[2] - trim[0] == pytest.approx(85.60, abs=0.01)
        assert trim[3] - trim[1] == pytest.approx(53.98, abs=0.01)
        assert [
            trim[0] - bleed[0],
            trim[1] - bleed[1],
            bleed[2] - trim[2],
            bleed[3] - trim[3],
        ] == pytest.approx([3.0] * 4, abs=0.01)
        # The crop marks need room outside the bleed: the media box is larger on every side.
        assert media[0] < bleed[0] and media[1] < bleed[1] and media[2] > bleed[2] and media[3] > bleed[3]


def test_crop_marks_are_outside_the_bleed_on_the_trim_lines(tmp_path: Path, layout: Layout) -> None:
    from PIL import Image

    path = _write(tmp_path, cards_pdf([make_card()], layout=layout))
    page = PdfReader(path).pages[0]
    trim = [float(v) / MM for v in page["/TrimBox"]]
    height = float(page["/MediaBox"][3]) / MM
    poppler("pdftoppm", "-r", "300", "-f", "1", "-l", "1", "-gray", "-png", path, tmp_path / "page")
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    px = 300 / 25.4

    def dark(x_mm: float, y_mm_from_top: float) -> bool:
        """Ink within ±1 pixel across (a 0.25 pt line is about one pixel wide at 300 dpi)."""
        x, y = round(x_mm * px), round(y_mm_from_top * px)
        return min(image.getpixel((x + dx, y)) for dx in (-1, 0, 1)) < 160  # type: ignore[type-var]

    top = height - trim[3]  # the trim's top edge, in mm from the page's top
    # On the left trim line's extension, in the slug above the card (past bleed + 1 mm): a mark.
    assert dark(trim[0], top - 3.0 - 2.0)
    # In the bleed itself, just outside the trim's corner, the mark must not be (it is background there),
    # and the ring between the bleed's edge and the mark's start (0.5 mm) holds no ink of the mark.
    assert not dark(trim[0], top - 3.0 - 0.5)


def test_the_photo_is_resampled_to_its_box_at_300_dpi(layout: Layout) -> None:
    box = layout.front.photo
    assert box is not None
    want = (box.w_mm * 300 / 25.4, box.h_mm * 300 / 25.4)
    for photo in (jpeg(1200, 1600), jpeg(120, 160), jpeg(800, 600)):
        reader = PdfReader(io.BytesIO(cards_pdf([make_card(photo_jpeg=photo)], layout=layout)))
        xobjects = reader.pages[0]["/Resources"]["/XObject"]
        images = [x.get_object() for x in xobjects.values()]
        # /Filter is a name or an array of names (PDF 1.7 §7.3.8.2); the photo is the JPEG (DCTDecode) one.
        jpegs = [x for x in images if "/DCTDecode" in str(x.get("/Filter"))]
        assert len(jpegs) == 1
        assert abs(jpegs[0]["/Width"] - want[0]) <= 1 and abs(jpegs[0]["/Height"] - want[1]) <= 1


def test_colours_are_cmyk(layout: Layout) -> None:
    # A print job's vector colours are the inks: fills set with "k" (DeviceCMYK, PDF 1.7 §8.6.4.4).
    page = PdfReader(io.BytesIO(cards_pdf([make_card()], layout=layout))).pages[0]
    ops = page.get_contents().get_data().decode("latin-1")  # type: ignore[union-attr]
    assert " k\n" in ops or " k " in ops
    assert " rg\n" not in ops and " rg " not in ops


def test_the_same_cards_give_the_same_bytes(layout: Layout) -> None:
    cards = [make_card(), make_card(full_name="Đặng Văn Ất")]
    assert cards_pdf(cards, layout=layout) == cards_pdf(cards, layout=layout)


def test_cards_that_cannot_be_printed_are_refused(layout: Layout) -> None:
    with pytest.raises(CardDataError, match="gender"):
        cards_pdf([make_card(gender="X")], layout=layout)
    with pytest.raises(CardDataError, match="U\\+1F600"):
        cards_pdf([make_card(full_name="Nguyễn Văn \U0001f600")], layout=layout)
    with pytest.raises(CardDataError, match="too long"):
        cards_pdf([make_card(full_name="Nguyễn " * 20)], layout=layout)
    with pytest.raises(PhotoError):
        cards_pdf([make_card(photo_jpeg=b"not a jpeg")], layout=layout)


def test_a_long_name_shrinks_into_its_box(tmp_path: Path, layout: Layout) -> None:
    name = "Tôn Nữ Hoàng Thị Phương Khánh Ngọc"
    path = _write(tmp_path, cards_pdf([make_card(full_name=name)], layout=layout))
    assert name in poppler("pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8", path, "-").splitlines()


_MEMORY_PROBE = """
import resource, sys
from tests.printing.conftest import jpeg, make_card
from partycard.printing.card import cards_pdf
from partycard.printing.layout import layout_load
layout = layout_load()
cards_pdf([make_card(photo_jpeg=jpeg(1200, 1600))], layout=layout)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cards = (make_card(photo_jpeg=jpeg(1200, 1600, (i % 250, 90, 120)), card_number=str(i)) for i in range(300))
pdf = cards_pdf(cards, layout=layout)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, len(pdf))
"""


def test_memory_does_not_hold_a_decoded_photo_per_card() -> None:
    # 300 distinct photos of 1200 × 1600: decoded they would hold 300 × 5.8 MB = 1.7 GB, and even at the box's
    # size (248 × 331 RGB) 74 MB. Only their JPEGs at the box's size may stay (inside the PDF being built),
    # so the peak grows with the output, a few MB.
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE],
        capture_output=True, text=True, check=True, timeout=300, cwd=root,
        env={"PYTHONPATH": f"{root / 'src'}:{root}", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    grown_kib, size = map(int, done.stdout.split())
    assert size > 300 * 3000, "the photos are distinct, so each is embedded"
    assert grown_kib < 40 * 1024, (grown_kib, size)


def test_the_qr_code_on_the_back_holds_the_card_number(tmp_path: Path, layout: Layout) -> None:
    # segno is the reference encoder here; the test checks that every module lands where the symbol puts
    # it (ISO/IEC 18004: dark modules on a light quiet zone of 4 modules), read back from the rendered page.
    import segno
    from PIL import Image

    box = layout.back.qr
    assert box is not None
    path = _write(tmp_path, cards_pdf([make_card(card_number="480012345")], layout=layout))
    page = PdfReader(path).pages[1]
    trim = [float(v) / MM for v in page["/TrimBox"]]
    height = float(page["/MediaBox"][3]) / MM
    poppler("pdftoppm", "-r", "600", "-f", "2", "-l", "2", "-gray", "-png", path, tmp_path / "back")
    image = Image.open(next(tmp_path.glob("back*.png"))).convert("L")
    want = [list(row) for row in segno.make_qr("480012345", error="m").matrix_iter(border=4)]
    module = box.w_mm / len(want)
    px = 600 / 25.4
    left, top = trim[0] + box.x_mm, height - trim[3] + box.y_mm
    got = [
        [
            int(
                image.getpixel(
                    (round((left + (i + 0.5) * module) * px), round((top + (j + 0.5) * module) * px))
                )
                < 128
            )  # type: ignore[operator]
            for i in range(len(want))
        ]
        for j in range(len(want))
    ]
    assert got == want
