"""The printed party card: print-ready PDF pages for the manufacturer, and the proof an officer approves.

ReportLab draws the card (docs/production.md, "The printed card", says why: measured fastest of the
libraries that write TrimBox/BleedBox and CMYK, with exact Vietnamese text). Every page is one face of
one card: the ID-1 trim box (ISO/IEC 7810), 3 mm of bleed around it and a slug outside the bleed
that holds the crop marks, with TrimBox and BleedBox written into the page (PDF 1.7 §14.11.2) so the
manufacturer's imposition software finds the card without guessing. Colours are CMYK as the layout
gives them; the photo is resampled to exactly its box at 300 dpi and embedded as JPEG.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import segno
from PIL import Image, ImageOps, UnidentifiedImageError
from reportlab import rl_config
from reportlab.lib.colors import CMYKColor
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from partycard.printing.errors import CardDataError, PhotoError
from partycard.printing.layout import FIELDS, ID1_HEIGHT_MM, ID1_WIDTH_MM, Box, Cmyk, Face, Layout

__all__ = [
    "FIELD_LABELS",
    "GENDERS",
    "PHOTO_DPI",
    "SPECIMEN",
    "CardPrint",
    "cards_pdf",
    "field_text",
    "photo_pixels",
    "proof_pdf",
]

# The printed words for the gender codes (Vietnamese, as on the member's record).
GENDERS = {"M": "Nam", "F": "Nữ"}

# What the proof's legend calls each field.
FIELD_LABELS = {
    "full_name": "Họ và tên",
    "date_of_birth": "Ngày sinh",
    "gender": "Giới tính",
    "date_admitted": "Ngày vào Đảng",
    "date_official": "Ngày chính thức",
    "card_number": "Số thẻ",
    "issuing_committee": "Cơ quan cấp thẻ",
    "issue_date": "Ngày cấp",
    "can": "CAN",
}

SPECIMEN = "BẢN MẪU - KHÔNG CÓ GIÁ TRỊ SỬ DỤNG"

# Card printers image photos at 300 dpi: the photo is resampled to exactly its box at this resolution,
# so the printer neither rescales it (soft) nor receives pixels it throws away (a larger batch file).
PHOTO_DPI = 300
_JPEG_QUALITY = 92
_PT_PER_MM = 72 / 25.4
# Crop marks: registration colour (every ink at 100 %) so they show on every plate, 0.25 pt, starting 1 mm
# outside the bleed edge so that no mark is inside the bleed area (PDF 1.7 §14.11.2: the bleed box is
# what is printed; the marks are outside it, in the slug).
_MARK_GAP_MM = 1.0
_MARK_WIDTH_PT = 0.25
_REGISTRATION = CMYKColor(1, 1, 1, 1)
_MIN_SHRINK = 0.6

# ReportLab wraps every stream in ASCII85 by default (for 7-bit channels nobody uses); binary streams
# keep the JPEG photos at their size instead of 25 % larger.
rl_config.useA85 = 0


@dataclass(frozen=True)
class CardPrint:
    """What is printed on one card (DOMAIN.md: the member summary, the issuing committee and date).

    ``gender`` is "M" or "F" (printed "Nam" / "Nữ"); ``photo_jpeg`` is the member's photo as JPEG (any
    size: it is cropped to the photo box's proportions and resampled to the box at 300 dpi). ``can`` is
    the chip's card access number (chip/can.py), printed by layouts that have a ``can`` field (v2); a
    card of before PACE has none ("").
    """

    card_number: str
    full_name: str
    date_of_birth: date
    gender: str
    date_admitted: date
    date_official: date
    issuing_committee: str
    issue_date: date
    photo_jpeg: bytes
    can: str = ""

    def __repr__(self) -> str:  # neither the CAN nor the photo's bytes belong in a log line
        return f"CardPrint(card_number={self.card_number!r})"


def field_text(card: CardPrint, field: str) -> str:
    """The text printed for ``field`` of ``card``: dates dd/mm/yyyy, gender Nam/Nữ, text NFC.

    NFC because pdftotext, search and the member database compare code points: "ễ" must be the one code
    point U+1EC5, not "e" + two combining marks (Unicode Standard Annex #15).

    Raises:
        CardDataError: an unknown gender code or field name.
    """
    value = getattr(card, field, None) if field in FIELDS else None
    if field == "can" and not (len(card.can) == 6 and card.can.isascii() and card.can.isdigit()):
        # A layout with a CAN slot prints only a card that has one: a blank CAN is a chip nobody can open.
        raise CardDataError("the card has no card access number (six digits) for this layout's CAN")
    if field == "gender":
        if card.gender not in GENDERS:
            raise CardDataError(f"gender {card.gender!r} is not one of {', '.join(GENDERS)}")
        return GENDERS[card.gender]
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    raise CardDataError(f"{field!r} is not a printable field")


def photo_pixels(box: Box) -> tuple[int, int]:
    """The photo's size in pixels for ``box`` at 300 dpi (25.4 mm to the inch)."""
    return round(box.w_mm / 25.4 * PHOTO_DPI), round(box.h_mm / 25.4 * PHOTO_DPI)


def cards_pdf(cards: Iterable[CardPrint], *, layout: Layout) -> bytes:
    """The print-ready PDF for the manufacturer: for each card its front page, then its back page.

    Each page is the trim box (ID-1) + bleed + slug, with TrimBox, BleedBox and crop marks; the slug
    also names the layout version, the card number and the face, so loose sheets can be matched. Cards
    are drawn one at a time: only the encoded JPEG of each photo stays in memory (inside the PDF being
    built), never a decoded image, so memory grows with the output's size (≈ 10 KB a card), not more.

    Raises:
        CardDataError: a card with an unknown gender, a character the fonts lack, a text too long for
            its box.
        PhotoError: a photo that is not a readable image.
    """
    off = layout.bleed_mm + layout.slug_mm
    page = ((ID1_WIDTH_MM + 2 * off) * _PT_PER_MM, (ID1_HEIGHT_MM + 2 * off) * _PT_PER_MM)
    out = io.BytesIO()
    canvas = _canvas(out, page, layout)
    trim = (off * _PT_PER_MM, off * _PT_PER_MM, page[0] - off * _PT_PER_MM, page[1] - off * _PT_PER_MM)
    bleed = layout.bleed_mm * _PT_PER_MM
    for card in cards:
        for side, face in (("mặt trước", layout.front), ("mặt sau", layout.back)):
            canvas.setTrimBox(trim)
            canvas.setBleedBox((trim[0] - bleed, trim[1] - bleed, trim[2] + bleed, trim[3] + bleed))
            canvas.saveState()
            canvas.translate(off * _PT_PER_MM, page[1] - off * _PT_PER_MM)
            _face(canvas, layout, face, card, clip="bleed")
            canvas.restoreState()
            _crop_marks(canvas, layout, page)
            _text(canvas, layout, "sans", 5.0, Cmyk(0, 0, 0, 1), (off + 1.0) * _PT_PER_MM, 3.0 * _PT_PER_MM,
                  f"{layout.version} · {field_text(card, 'card_number')} · {side}", "left")  # fmt: skip
            canvas.showPage()
    canvas.save()
    return out.getvalue()


def proof_pdf(*, layout: Layout, sample: CardPrint) -> bytes:
    """An A4 proof of ``layout`` filled with ``sample``, for an officer to approve before a batch is released.

    The front and the back at 1:1 with the bleed edge (dashed) and the trim line (solid) drawn, the front
    enlarged 2:1, the layout version, a legend of every field with its sample value, position and font,
    and the words "BẢN MẪU - KHÔNG CÓ GIÁ TRỊ SỬ DỤNG" so the sheet can never pass for a card.

    Raises:
        CardDataError, PhotoError: as :func:`cards_pdf`.
    """
    a4 = (210 * _PT_PER_MM, 297 * _PT_PER_MM)
    out = io.BytesIO()
    c = _canvas(out, a4, layout)
    red, grey, black = Cmyk(0, 1, 1, 0.1), Cmyk(0, 0, 0, 0.6), Cmyk(0, 0, 0, 1)

    def at(x_mm: float, y_mm: float) -> tuple[float, float]:  # mm from the top-left → points
        return x_mm * _PT_PER_MM, a4[1] - y_mm * _PT_PER_MM

    c.setTitle(f"Bản mẫu thẻ đảng viên, bố cục {layout.version}")
    _text(c, layout, "sans-bold", 15.0, red, *at(105, 16), SPECIMEN, "center")
    subtitle = (
        f"Mẫu thẻ đảng viên · phiên bản bố cục: {layout.version} · khổ ID-1 85,60 × 53,98 mm (ISO/IEC 7810)"
    )
    _text(c, layout, "sans", 9.0, black, *at(105, 23), subtitle, "center")
    b = layout.bleed_mm
    row_y = 34.0
    for i, (title, face) in enumerate((("Mặt trước (1:1)", layout.front), ("Mặt sau (1:1)", layout.back))):
        x = 10.0 + b + i * (ID1_WIDTH_MM + 2 * b + 7.0)
        _text(c, layout, "sans-bold", 8.0, black, *at(x - b, row_y - 2.0), title, "left")
        c.saveState()
        c.translate(*at(x, row_y + b))
        _face(c, layout, face, sample, clip="bleed")
        _trim_and_bleed_lines(c, b)
        c.restoreState()
    note = f"Nét liền: đường xén (thành phẩm). Nét đứt: mép tràn lề {b:g} mm. Ảnh {PHOTO_DPI} dpi."
    _text(c, layout, "sans", 7.0, grey, *at(10.0, row_y + ID1_HEIGHT_MM + 2 * b + 4.0), note, "left")
    big_y = row_y + ID1_HEIGHT_MM + 2 * b + 13.0
    _text(c, layout, "sans-bold", 8.0, black, *at(19.4, big_y - 2.0), "Mặt trước phóng to 2:1", "left")
    c.saveState()
    c.translate(*at(19.4, big_y))
    c.scale(2, 2)
    _face(c, layout, layout.front, sample, clip="trim")
    _trim_and_bleed_lines(c, None)
    c.restoreState()
    _legend(c, layout, sample, at, big_y + 2 * ID1_HEIGHT_MM + 7.0)
    _text(c, layout, "sans-bold", 9.0, red, *at(105, 290), f"{SPECIMEN} · bố cục {layout.version}", "center")
    c.showPage()
    c.save()
    return out.getvalue()


def _legend(
    c: Canvas,
    layout: Layout,
    sample: CardPrint,
    at: Callable[[float, float], tuple[float, float]],
    top_mm: float,
) -> None:
    """One line per printed field and box: face, what it is, the sample's value, where, in which font."""
    black, grey = Cmyk(0, 0, 0, 1), Cmyk(0, 0, 0, 0.6)
    cols = (12.0, 27.0, 62.0, 140.0)
    for x, head in zip(cols, ("Mặt", "Trường", "Nội dung mẫu", "Vị trí (mm), phông"), strict=True):
        _text(c, layout, "sans-bold", 7.0, black, *at(x, top_mm), head, "left")
    y = top_mm + 4.0
    for side, face in (("trước", layout.front), ("sau", layout.back)):
        rows: list[tuple[str, str, str]] = []
        for t in face.texts:
            if t.field is None:
                continue
            where = f"x {t.x_mm:g}, y {t.y_mm:g}; {t.font} {t.size_pt:g} pt"
            rows.append((FIELD_LABELS[t.field], field_text(sample, t.field), where))
        for name, box in (("Ảnh", face.photo), ("Biểu tượng", face.emblem), ("Mã QR số thẻ", face.qr)):
            if box is not None:
                value = f"{photo_pixels(box)[0]} × {photo_pixels(box)[1]} px" if name == "Ảnh" else ""
                rows.append((name, value, f"x {box.x_mm:g}, y {box.y_mm:g}, {box.w_mm:g} × {box.h_mm:g}"))
        for name, value, where in rows:
            for x, s in zip(cols, (side, name, value, where), strict=True):
                _text(c, layout, "sans", 7.0, grey if x == cols[3] else black, *at(x, y), s, "left")
            y += 3.4


def _canvas(out: io.BytesIO, size: tuple[float, float], layout: Layout) -> Canvas:
    """A canvas whose only fonts are the layout's embedded ones.

    ``initialFontName``: ReportLab otherwise puts its default Helvetica (a standard 14 font, never
    embedded) into every page's resources; ``invariant``: the same cards give the same bytes (no
    timestamp, a fixed document ID), so a batch's hash is reproducible.
    """
    return Canvas(out, pagesize=size, invariant=1, initialFontName=_font(layout, next(iter(layout.fonts))),
                  pageCompression=1)  # fmt: skip


@cache
def _registered(path: Path) -> str:
    name = f"partycard-{path.stem}"
    pdfmetrics.registerFont(TTFont(name, str(path)))  # embedded as subsets, with a ToUnicode map
    return name


def _font(layout: Layout, key: str) -> str:
    return _registered(layout.fonts[key])


def _color(k: Cmyk) -> CMYKColor:
    return CMYKColor(k.c, k.m, k.y, k.k)


def _text(c: Canvas, layout: Layout, font: str, size: float, color: Cmyk, x: float, y: float, s: str,
          align: Literal["left", "center", "right"]) -> None:  # fmt: skip
    """Draw ``s`` with its baseline at (x, y) points, in the current (y-up) coordinates."""
    name = _font(layout, font)
    _check_glyphs(name, s)
    c.setFillColor(_color(color))
    c.setFont(name, size)
    {"left": c.drawString, "center": c.drawCentredString, "right": c.drawRightString}[align](x, y, s)


def _check_glyphs(font: str, s: str) -> None:
    """Refuse text the font cannot show: a missing glyph would print as a blank box on the card."""
    face = pdfmetrics.getFont(font).face
    for ch in s:
        if ord(ch) not in face.charToGlyph:
            raise CardDataError(f"U+{ord(ch):04X} has no glyph in {font}")


def _face(c: Canvas, layout: Layout, face: Face, card: CardPrint, *, clip: Literal["bleed", "trim"]) -> None:
    """Draw one face with the trim box's top-left corner at the current origin (points, y up)."""
    c.saveState()
    c.scale(_PT_PER_MM, -_PT_PER_MM)  # from here: mm, y down, as the layout measures
    b = layout.bleed_mm if clip == "bleed" else 0.0
    path = c.beginPath()
    path.rect(-b, -b, ID1_WIDTH_MM + 2 * b, ID1_HEIGHT_MM + 2 * b)
    c.clipPath(path, stroke=0, fill=0)
    c.setFillColor(_color(face.background))
    c.rect(-b, -b, ID1_WIDTH_MM + 2 * b, ID1_HEIGHT_MM + 2 * b, stroke=0, fill=1)
    for r in face.rects:
        c.setFillColor(_color(r.color))
        c.rect(r.box.x_mm, r.box.y_mm, r.box.w_mm, r.box.h_mm, stroke=0, fill=1)
    if face.emblem is not None:
        _image(c, str(layout.emblem_image), face.emblem)
    if face.photo is not None:
        _image(c, _JpegReader(_photo_jpeg(card.photo_jpeg, face.photo)), face.photo)
    if face.qr is not None:
        _qr(c, field_text(card, "card_number"), face.qr)
    for t in face.texts:
        s = t.text if t.text is not None else field_text(card, t.field or "")
        size = t.size_pt
        if t.max_width_mm is not None:
            width_mm = pdfmetrics.stringWidth(s, _font(layout, t.font), size) / _PT_PER_MM
            if width_mm > t.max_width_mm:
                size = size * t.max_width_mm / width_mm
                if size < t.size_pt * _MIN_SHRINK:
                    raise CardDataError(f"{t.field or 'text'} is too long for its {t.max_width_mm:g} mm box")
        c.saveState()
        c.translate(t.x_mm, t.y_mm)
        c.scale(1 / _PT_PER_MM, -1 / _PT_PER_MM)  # back to points, y up, at the baseline
        _text(c, layout, t.font, size, t.color, 0.0, 0.0, s, t.align)
        c.restoreState()
    c.restoreState()


def _image(c: Canvas, image: str | ImageReader, box: Box) -> None:
    c.saveState()
    c.translate(box.x_mm, box.y_mm + box.h_mm)
    c.scale(1, -1)
    c.drawImage(image, 0, 0, box.w_mm, box.h_mm, mask="auto")
    c.restoreState()


class _JpegReader(ImageReader):
    """A JPEG for ``drawImage``, embedded as is (DCTDecode), identified by its bytes.

    ReportLab names an image by a hash of its decoded pixels, to store a repeated image once; for a JPEG
    that means decoding it again only to hash it. The encoded bytes identify it as well, for free.
    """

    def __init__(self, jpeg: bytes) -> None:
        super().__init__(io.BytesIO(jpeg))
        self._jpeg = jpeg
        self._dataA = None  # no alpha channel: JPEG has none

    def getRGBData(self) -> bytes:  # ReportLab's name
        return self._jpeg


def _photo_jpeg(jpeg: bytes, box: Box) -> bytes:
    """The photo cropped to the box's proportions (centred) and resampled to the box at 300 dpi, as JPEG.

    ``draft`` lets the JPEG decoder scale down by 1/2, 1/4 or 1/8 while decoding (never below the target
    size), which makes a large upload several times cheaper to resample; Lanczos does the rest.
    """
    size = photo_pixels(box)
    try:
        with Image.open(io.BytesIO(jpeg)) as im:
            im.draft("RGB", size)
            upright = ImageOps.exif_transpose(im)
            fitted = ImageOps.fit(upright.convert("RGB"), size, Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise PhotoError(f"the photo is not a readable image: {e}") from e
    out = io.BytesIO()
    fitted.save(out, "JPEG", quality=_JPEG_QUALITY, dpi=(PHOTO_DPI, PHOTO_DPI))
    return out.getvalue()


def _qr(c: Canvas, data: str, box: Box) -> None:
    """The card number as a QR code filling ``box``, quiet zone included (ISO/IEC 18004: 4 modules).

    Drawn as vectors in black ink alone (rich black would blur the fine modules), one rectangle per run of
    dark modules, written in module units so the operators are small integers.
    """
    rows = list(segno.make_qr(data, error="m").matrix_iter(border=4))
    c.setFillColor(CMYKColor(0, 0, 0, 0))
    c.rect(box.x_mm, box.y_mm, box.w_mm, box.h_mm, stroke=0, fill=1)
    c.saveState()
    c.translate(box.x_mm, box.y_mm)
    c.scale(box.w_mm / len(rows), box.h_mm / len(rows))
    c.setFillColor(CMYKColor(0, 0, 0, 1))
    runs = [f"{start} {j} {length} 1 re" for j, row in enumerate(rows) for start, length in _runs(row)]
    c.addLiteral("\n".join(runs) + "\nf")
    c.restoreState()


def _runs(row: Iterable[int]) -> Iterator[tuple[int, int]]:
    """(start, length) of each run of dark modules: one rectangle per run, not per module."""
    start = None
    i = -1
    for i, dark in enumerate(row):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            yield start, i - start
            start = None
    if start is not None:
        yield start, i + 1 - start


def _crop_marks(c: Canvas, layout: Layout, page: tuple[float, float]) -> None:
    """Crop marks on the trim lines' extensions, in the slug: from 1 mm outside the bleed to the edge."""
    off = (layout.bleed_mm + layout.slug_mm) * _PT_PER_MM
    length = (layout.slug_mm - _MARK_GAP_MM) * _PT_PER_MM  # from the page's edge, stopping 1 mm short
    w, h = page
    c.setStrokeColor(_REGISTRATION)
    c.setLineWidth(_MARK_WIDTH_PT)
    for x in (off, w - off):
        c.line(x, 0, x, length)
        c.line(x, h - length, x, h)
    for y in (off, h - off):
        c.line(0, y, length, y)
        c.line(w - length, y, w, y)


def _trim_and_bleed_lines(c: Canvas, bleed_mm: float | None) -> None:
    """The trim line (solid) and, when given, the bleed edge (dashed), for the proof only."""
    c.saveState()
    c.scale(_PT_PER_MM, -_PT_PER_MM)
    c.setLineWidth(0.3 / _PT_PER_MM)
    c.setStrokeColor(CMYKColor(1, 0, 0, 0))
    c.rect(0, 0, ID1_WIDTH_MM, ID1_HEIGHT_MM, stroke=1, fill=0)
    if bleed_mm is not None:
        c.setStrokeColor(CMYKColor(0, 1, 0, 0))
        c.setDash(1.0, 0.8)
        c.rect(
            -bleed_mm, -bleed_mm, ID1_WIDTH_MM + 2 * bleed_mm, ID1_HEIGHT_MM + 2 * bleed_mm, stroke=1, fill=0
        )
    c.restoreState()
