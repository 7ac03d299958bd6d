"""The shared parts of a Party document printed as PDF: the fonts, the base paragraph styles, the
two-column head and the two-column signature block.

Why one place: every Party document follows the same layout (Quy định 66-QĐ/TW on the kinds and form of
Party documents and the Central Office's Guidance 36-HD/VPTW on their form and presentation) — top left
the issuing body (the committee above it, then the issuing one, a star, the number), top right the Party's
name underlined with the place and date in italics under it; at the foot the recipients on the left and
the signature block on the right. The inspections' notice, the losses' forms and the transfers' letter
printed the same head with copied code; they build it here so that it stays the same in all of them.

ReportLab with the Noto Serif fonts shipped in ``partycard.printing`` (Vietnamese diacritics exact on
every machine). The text passed in is printed as written (escaped), Vietnamese directly. No Django.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from partycard.printing import FONTS

__all__ = ["BOLD", "PARTY", "REGULAR", "document_header", "fonts_register", "signature_block", "styles"]

REGULAR, BOLD = "NotoSerif", "NotoSerif-Bold"
#: The Party's name, top right of every Party document.
PARTY = "ĐẢNG CỘNG SẢN VIỆT NAM"


def fonts_register() -> None:
    """Register Noto Serif (regular and bold) with ReportLab once per process; italics print upright
    (the family has no italic face registered), as the documents always have."""
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "NotoSerif-Regular.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "NotoSerif-Bold.ttf")))
        registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)


def styles() -> dict[str, ParagraphStyle]:
    """The styles every Party document shares, a new dict each call (add the document's own to it):
    ``head`` / ``head_bold`` (the head's and the signature's centred lines), ``cell`` (table cells) and
    ``small`` (the recipients)."""
    return {
        "head": ParagraphStyle("head", fontName=REGULAR, fontSize=11, leading=14, alignment=TA_CENTER),
        "head_bold": ParagraphStyle("head_bold", fontName=BOLD, fontSize=11, leading=14, alignment=TA_CENTER),
        "cell": ParagraphStyle("cell", fontName=REGULAR, fontSize=9.5, leading=12),
        "small": ParagraphStyle("small", fontName=REGULAR, fontSize=10, leading=13),
    }


_BASE = styles()


def _columns(left: Sequence[Flowable], right: Sequence[Flowable], widths: tuple[float, float]) -> Table:
    table = Table([[list(left), list(right)]], colWidths=list(widths))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def document_header(
    *,
    above: str,
    issuers: Sequence[str],
    number: str,
    place: str,
    issued_on: dt.date,
    widths: tuple[float, float],
) -> Table:
    """The two-column head of a Party document (36-HD/VPTW). Left: ``above`` (the committee above the
    issuing body, in capitals; left out when blank), the ``issuers`` lines in bold as given, a star and
    "Số <number>". Right: the Party's name underlined, then "<place>, ngày dd tháng mm năm yyyy" in
    italics. ``number`` and ``place`` are printed as given (the caller chooses a blank's placeholder)."""
    fonts_register()  # the markup (<u>, <i>) maps to the registered family while the paragraphs parse
    s = _BASE
    left: list[Flowable] = [Paragraph(escape(above.upper()), s["head"])] if above else []
    left += [Paragraph(escape(line), s["head_bold"]) for line in issuers]
    left += [Paragraph("*", s["head"]), Paragraph(escape("Số " + number), s["head"])]
    when = f"{place}, ngày {issued_on:%d} tháng {issued_on:%m} năm {issued_on:%Y}"
    right = [
        Paragraph(f"<u>{PARTY}</u>", s["head_bold"]),
        Spacer(1, 6 * mm),
        Paragraph(f"<i>{escape(when)}</i>", s["head"]),
    ]
    return _columns(left, right, widths)


def signature_block(
    *,
    recipients: Sequence[str],
    signature: Sequence[Flowable],
    widths: tuple[float, float],
    style: Mapping[str, ParagraphStyle] | None = None,
) -> Table:
    """The foot of a Party document (36-HD/VPTW): "Nơi nhận:" and the ``recipients`` lines on the left (in
    ``style["small"]``), the ``signature`` (the "T/M …" lines, the space to sign, the signer) on the right."""
    fonts_register()
    small = (style or _BASE)["small"]
    left = [Paragraph("<u><b>Nơi nhận:</b></u>", small), *(Paragraph(escape(r), small) for r in recipients)]
    return _columns(left, signature, widths)
