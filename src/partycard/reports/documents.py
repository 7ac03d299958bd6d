"""The progress report as a Party document, in .xlsx and PDF: the official header, the figures, the
organisations' table and the signature block.

Layout, after Quy định 66-QĐ/TW (2017) on the kinds and form of Party documents and the Central Office's
Hướng dẫn 36-HD/VPTW (03/4/2018) on their form and presentation:

* top left, the issuing committee (the committee directly above it first, in capitals, when there is one;
  the issuer in bold capitals), a "*" under it, then the number and symbol "Số 12-BC/ĐU" (BC: báo cáo);
* top right, the heading "ĐẢNG CỘNG SẢN VIỆT NAM" in bold capitals, underlined by a rule as long as it,
  then "<place>, ngày 03 tháng 4 năm 2018" in italics;
* the kind "BÁO CÁO" and its subject, centred, in bold, a short rule under them;
* the content; then the signature block on the right ("T/M BAN THƯỜNG VỤ", the position, the name) and
  "Nơi nhận:" underlined on the left with its recipients, the last one the archive ("- Lưu ...").

The number is left blank ("Số     -BC/ĐU") unless the officer gives one: a Party committee's clerk numbers a
document when it is signed, not when it is drafted (docs/reports.md). The fonts are the Noto fonts shipped in
``partycard.printing`` (Noto Serif for the document, the closest to the Times New Roman 36-HD/VPTW names),
embedded; Noto Serif ships no italic, so the italic date line is the regular face slanted 12°.

Spreadsheets: counts are numbers and shares fractions with a percentage format, so an office can add them
up; no formula anywhere, and no text a spreadsheet could read as one (registry/exporting.py).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from partycard.printing.party_document import BOLD as SERIF_BOLD
from partycard.printing.party_document import PARTY, fonts_register
from partycard.printing.party_document import REGULAR as SERIF
from partycard.reports.figures import CHILD_COLUMNS, SECTIONS, Figure, child_values, figures
from partycard.reports.formats import vi_date, vi_document_date, vi_int, vi_percent
from partycard.reports.progress import Progress

__all__ = [
    "FORMULA_TRIGGERS",
    "PARTY",
    "ChildRow",
    "Letterhead",
    "ReportContent",
    "letterhead_defaults",
    "number_line",
    "report_content",
    "report_pdf",
    "report_xlsx",
]

# OWASP "CSV Injection": the same list as the roster export's (registry/exporting.py).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_BLANK_NUMBER = "\u00a0" * 6  # room to write the number by hand


@dataclass(frozen=True)
class Letterhead:
    """Who issues the report and how it is signed; every text is as printed (capitals where the form
    wants them). ``number`` empty: left blank for the clerk."""

    issuer: str
    issued_on: dt.date
    place: str
    symbol: str = ""
    number: str = ""
    upper: str = ""
    subject: str = "tiến độ đổi thẻ đảng viên"
    on_behalf: str = "T/M BAN THƯỜNG VỤ"
    position: str = "BÍ THƯ"
    signer: str = ""
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChildRow:
    name: str
    values: tuple[int | float, ...]  # in ``ReportContent.child_headers`` order; shares as fractions


@dataclass(frozen=True)
class ReportContent:
    """What the report says, already worded: the organisation's figures by section, and a row per
    organisation directly under it with the organisation's own row as the total."""

    organisation: str
    on: dt.date
    intro: str
    sections: Sequence[tuple[str, Sequence[Figure]]]
    figure_headers: tuple[str, str, str, str, str]  # No., content, count, share, now at this step
    child_title: str = ""
    child_name_header: str = "Tổ chức đảng"
    child_headers: tuple[str, ...] = ()
    share_columns: frozenset[int] = field(default_factory=frozenset)  # indexes into child_headers
    children: Sequence[ChildRow] = ()
    total: ChildRow | None = None


def report_content(org: Progress, children: Sequence[Progress], *, on: dt.date) -> ReportContent:
    """The report's content from the organisation's figures and its children's on ``on``, worded in
    Vietnamese (a document for print is Vietnamese whatever the officer's language)."""
    with translation.override("vi"):
        rows = figures(org)
        sections = [(str(label), [f for f in rows if f.section == key]) for key, label in SECTIONS.items()]
        headers = tuple(str(c.label) for c in CHILD_COLUMNS)
    day = org.on or on
    return ReportContent(
        organisation=org.name,
        on=day,
        intro=f"Tình hình đổi thẻ đảng viên của {org.name} tính đến ngày {vi_date(day)} như sau "
        "(tỷ lệ tính trên số đảng viên đủ điều kiện đổi thẻ; riêng các dòng về điều kiện tính trên "
        "tổng số đảng viên):",
        sections=sections,
        figure_headers=("STT", "Nội dung", "Số lượng", "Tỷ lệ", "Đang ở bước này"),
        child_title="Tiến độ của các tổ chức trực thuộc",
        child_headers=headers,
        share_columns=frozenset(i for i, c in enumerate(CHILD_COLUMNS) if c.share),
        children=[ChildRow(c.name, tuple(child_values(c))) for c in children],
        total=ChildRow(f"Tổng cộng ({org.name})", tuple(child_values(org))) if children else None,
    )


def _committee(name: str) -> str:
    """The committee that issues a document for an organisation named ``name``: a provincial party
    organisation's committee is the "Tỉnh ủy"/"Thành ủy", another "Đảng bộ X"'s the "Đảng ủy X"; a cell
    issues in its own name."""
    name = name.strip()
    for prefix, committee in (("Đảng bộ tỉnh ", "Tỉnh ủy "), ("Đảng bộ thành phố ", "Thành ủy "),
                              ("Đảng bộ ", "Đảng ủy ")):  # fmt: skip
        if name.lower().startswith(prefix.lower()):
            return committee + name[len(prefix) :]
    return name


def _place(province: str) -> str:
    """ "Đảng bộ thành phố Hà Nội" → "Hà Nội"; the Centre's documents are dated in Hà Nội."""
    for prefix in ("Đảng bộ tỉnh ", "Đảng bộ thành phố ", "Đảng bộ "):
        if province.startswith(prefix):
            return province[len(prefix) :].strip()
    return province.strip() or "Hà Nội"


def letterhead_defaults(*, name: str, level: int, parent: str = "", province: str = "") -> dict[str, Any]:
    """What the export form proposes for an organisation (the officer corrects it before printing):
    the issuing committee and the one above it, the symbol after "BC/", the place, who signs.

    ``level`` is registry ``OrgLevel`` (0 the Centre, 1 directly under it, 2 above the grassroots, 3–5
    grassroots committees, 4 and 6 cells); ``parent`` the name of the organisation above, ``province``
    the name of the one directly under the Centre it belongs to.
    """
    cell = level in (4, 6)
    if level == 0:
        issuer, upper, symbol, behalf = (
            "BAN TỔ CHỨC TRUNG ƯƠNG",
            "BAN CHẤP HÀNH TRUNG ƯƠNG",
            "BTCTW",
            "TRƯỞNG BAN",
        )
    elif level == 1:
        issuer, upper, behalf = _committee(name).upper(), "", "T/M BAN THƯỜNG VỤ"
        symbol = "TU" if issuer.startswith(("TỈNH ỦY", "THÀNH ỦY")) else "ĐU"
    else:
        issuer = name.upper() if cell else _committee(name).upper()
        upper = _committee(parent).upper() if cell else parent.upper()
        symbol = "CB" if cell else "ĐU"
        behalf = "T/M CHI BỘ" if cell else ("T/M BAN THƯỜNG VỤ" if level == 2 else "T/M ĐẢNG ỦY")
    above = "Ban Tổ chức Trung ương" if level == 1 else _committee(parent) if parent else ""
    recipients = ([f"- {above},"] if above and level else []) + ["- Lưu Văn phòng."]
    return {
        "issuer": issuer,
        "upper": upper,
        "symbol": symbol,
        "place": _place(province if level else ""),
        "on_behalf": behalf,
        "position": "" if level == 0 else "BÍ THƯ",
        "recipients": "\n".join(recipients),
    }


def number_line(head: Letterhead) -> str:
    """ "Số 12-BC/ĐU", or "Số      -BC/ĐU" to fill by hand (36-HD/VPTW: "Số" without a colon)."""
    number = head.number.strip() or _BLANK_NUMBER
    symbol = head.symbol.strip() or _BLANK_NUMBER
    return f"Số {number}-BC/{symbol}"


def _date_line(head: Letterhead) -> str:
    return (
        f"{head.place}, {vi_document_date(head.issued_on)}"
        if head.place
        else vi_document_date(head.issued_on)
    )


def _cell_text(value: int | float, share: bool) -> str:
    return vi_percent(value) if share else vi_int(int(value))


# ---- .xlsx --------------------------------------------------------------------------------------------


def _inert(cell: Any, value: object) -> Any:
    """Put ``value`` in ``cell`` as a value: text is a string cell, never a formula; text a spreadsheet
    could read as one once edited also carries the quote prefix (as typing ``'`` before it)."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    return cell


_COUNT_FORMAT, _SHARE_FORMAT = "#,##0", "0.0%"


def report_xlsx(head: Letterhead, content: ReportContent) -> bytes:
    """The report as one sheet laid out like the printed document: header cells, the tables, the
    signature block."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Báo cáo"
    width = max(5, len(content.child_headers) + 2)
    last = get_column_letter(width)
    for col, size in zip(range(1, width + 1), [6, 40] + [13] * (width - 2), strict=True):
        sheet.column_dimensions[get_column_letter(col)].width = size
    bold, centre = Font(bold=True), Alignment(horizontal="center", vertical="center", wrap_text=True)
    right_start = get_column_letter(max(3, width - 3))

    def put(
        ref: str, value: object, *, font: Font | None = None, merge_to: str = "", align: Any = None
    ) -> Any:
        cell = _inert(sheet[ref], value)
        if font is not None:
            cell.font = font
        cell.alignment = align or centre
        if merge_to:
            sheet.merge_cells(f"{ref}:{merge_to}")
        return cell

    row = 1
    if head.upper:
        put(f"A{row}", head.upper.upper(), merge_to=f"B{row}")
        row += 1
    put(f"A{row}", head.issuer.upper(), font=bold, merge_to=f"B{row}")
    put(f"{right_start}1", PARTY, font=Font(bold=True, underline="single"), merge_to=f"{last}1")
    put(f"{right_start}2", _date_line(head), font=Font(italic=True), merge_to=f"{last}2")
    put(f"A{row + 1}", "*", merge_to=f"B{row + 1}")
    put(f"A{row + 2}", number_line(head), merge_to=f"B{row + 2}")
    row += 4
    put(f"A{row}", "BÁO CÁO", font=Font(bold=True, size=14), merge_to=f"{last}{row}")
    put(f"A{row + 1}", head.subject, font=bold, merge_to=f"{last}{row + 1}")
    put(f"A{row + 2}", "-----", merge_to=f"{last}{row + 2}")
    row += 4
    left = Alignment(horizontal="left", vertical="top", wrap_text=True)
    put(f"A{row}", content.intro, merge_to=f"{last}{row}", align=left)
    sheet.row_dimensions[row].height = 48  # the merged cell wraps; a spreadsheet does not grow it itself
    row += 2
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    def table_row(values: Sequence[object], *, header: bool = False, formats: Sequence[str] = ()) -> None:
        nonlocal row
        for i, value in enumerate(values, 1):
            cell = _inert(sheet.cell(row=row, column=i), value)
            cell.border = box
            if header:
                cell.font, cell.alignment = bold, centre
            elif i <= len(formats) and formats[i - 1]:
                cell.number_format = formats[i - 1]
        row += 1

    table_row(content.figure_headers, header=True)
    n = 0
    for section, rows in content.sections:
        table_row(["", section], header=True)
        for fig in rows:
            n += 1
            label = ("   " + fig.label) if fig.depth else fig.label
            share = fig.share if fig.share is not None else None
            table_row(
                [n, label, fig.count, share, fig.now],
                formats=["", "", _COUNT_FORMAT, _SHARE_FORMAT, _COUNT_FORMAT],
            )
    if content.children:
        row += 1
        put(f"A{row}", content.child_title, font=bold, merge_to=f"{last}{row}", align=left)
        row += 1
        table_row(["STT", content.child_name_header, *content.child_headers], header=True)
        formats = ["", ""] + [
            _SHARE_FORMAT if i in content.share_columns else _COUNT_FORMAT
            for i in range(len(content.child_headers))
        ]
        for i, child in enumerate(content.children, 1):
            table_row([i, child.name, *child.values], formats=formats)
        if content.total is not None:
            start = row
            table_row(["", content.total.name, *content.total.values], formats=formats)
            for col in range(1, width + 1):
                sheet.cell(row=start, column=col).font = bold
    row += 1
    signature_col = right_start
    recipients = ["Nơi nhận:", *head.recipients]
    signature = [head.on_behalf, head.position, "", "", head.signer]
    for i in range(max(len(recipients), len(signature))):
        if i < len(recipients):
            font = Font(underline="single") if i == 0 else None
            put(f"A{row}", recipients[i], font=font, merge_to=f"B{row}", align=left)
        if i < len(signature) and signature[i]:
            put(f"{signature_col}{row}", signature[i], font=bold, merge_to=f"{last}{row}")
        row += 1
    sheet.print_options.horizontalCentered = True
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- PDF ----------------------------------------------------------------------------------------------


_SLANT = math.tan(math.radians(12))  # the italic date line: the regular face, slanted


class _Header(Flowable):
    """The two columns of the document's head, drawn: issuer, "*" and number on the left; the Party's
    heading, its rule, and the italic place and date on the right."""

    def __init__(self, head: Letterhead, width: float) -> None:
        super().__init__()
        self.head = head
        self.left_w, self.right_w = width * 0.45, width * 0.55
        self.size = 12.5
        self.lines = self._left_lines()

    def _left_lines(self) -> list[tuple[str, str]]:
        lines: list[tuple[str, str]] = []
        for text, font in ((self.head.upper, SERIF), (self.head.issuer, SERIF_BOLD)):
            for part in simpleSplit(text.upper(), font, self.size, self.left_w - 4) if text else []:
                lines.append((part, font))
        return [*lines, ("*", SERIF), (number_line(self.head), SERIF)]

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = self.left_w + self.right_w
        self.height = max(len(self.lines), 3) * self.size * 1.35 + 4
        return self.width, self.height

    def draw(self) -> None:
        c, lead = self.canv, self.size * 1.35
        y = self.height - self.size
        cx = self.left_w / 2
        for text, font in self.lines:
            c.setFont(font, self.size)
            c.drawCentredString(cx, y, text)
            y -= lead
        rx = self.left_w + self.right_w / 2
        y = self.height - self.size
        c.setFont(SERIF_BOLD, self.size + 0.5)
        c.drawCentredString(rx, y, PARTY)
        rule = pdfmetrics.stringWidth(PARTY, SERIF_BOLD, self.size + 0.5)
        c.setLineWidth(0.6)
        c.line(rx - rule / 2, y - 3, rx + rule / 2, y - 3)
        y -= lead * 1.3
        line = _date_line(self.head)
        size = self.size
        while pdfmetrics.stringWidth(line, SERIF, size) > self.right_w - 4 and size > 8:
            size -= 0.5
        text_w = pdfmetrics.stringWidth(line, SERIF, size)
        c.saveState()
        c.transform(1, 0, _SLANT, 1, rx - text_w / 2, y)  # x' = x + y·tan 12°: an oblique face
        c.setFont(SERIF, size)
        c.drawString(0, 0, line)
        c.restoreState()


def _styles() -> dict[str, ParagraphStyle]:
    fonts_register()
    return {
        "kind": ParagraphStyle("kind", fontName=SERIF_BOLD, fontSize=15, leading=19, alignment=1),
        "subject": ParagraphStyle("subject", fontName=SERIF_BOLD, fontSize=13, leading=16, alignment=1),
        "rule": ParagraphStyle("rule", fontName=SERIF, fontSize=11, leading=12, alignment=1),
        "body": ParagraphStyle("body", fontName=SERIF, fontSize=12, leading=16, firstLineIndent=10 * mm),
        "part": ParagraphStyle(
            "part", fontName=SERIF_BOLD, fontSize=12, leading=16, spaceBefore=6, spaceAfter=4, keepWithNext=1
        ),
        "cell": ParagraphStyle("cell", fontName=SERIF, fontSize=9, leading=11),
        "sub": ParagraphStyle("sub", fontName=SERIF, fontSize=9, leading=11, leftIndent=5 * mm),
        "head": ParagraphStyle("head", fontName=SERIF_BOLD, fontSize=8, leading=9.5, alignment=1),
        "sign": ParagraphStyle("sign", fontName=SERIF_BOLD, fontSize=12, leading=15, alignment=1),
        "to": ParagraphStyle("to", fontName=SERIF, fontSize=10, leading=13),
    }


_GRID = [
    ("FONT", (0, 0), (-1, -1), SERIF, 9),
    ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
]


def _page_number(canvas: Any, doc: Any) -> None:
    """36-HD/VPTW: pages from the second on are numbered at the top, centred."""
    canvas.saveState()
    canvas.setFont(SERIF, 11)
    canvas.drawCentredString(A4[0] / 2, A4[1] - 12 * mm, str(doc.page))
    canvas.restoreState()


def report_pdf(head: Letterhead, content: ReportContent) -> bytes:
    """The report as an A4 portrait PDF (margins as 36-HD/VPTW: 30 mm left, 15 mm right, 20 mm top and
    bottom), its tables repeating their header on every page."""
    st = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=30 * mm, rightMargin=15 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
        title=f"Báo cáo {head.subject}", author=head.issuer, invariant=True, initialFontName=SERIF,
    )  # fmt: skip
    width = doc.width

    def p(text: str, style: str = "cell") -> Paragraph:
        return Paragraph(escape(text), st[style])

    story: list[Any] = [
        _Header(head, width),
        Spacer(1, 8 * mm),
        p("BÁO CÁO", "kind"),
        p(head.subject, "subject"),
        p("-----", "rule"),
        Spacer(1, 5 * mm),
        p(content.intro, "body"),
        Spacer(1, 3 * mm),
    ]
    headers = [p(h, "head") for h in content.figure_headers]
    table: list[list[Any]] = [headers]
    style = list(_GRID)
    n = 0
    for section, rows in content.sections:
        table.append(["", Paragraph(f"<b>{escape(section)}</b>", st["cell"]), "", "", ""])
        style.append(("SPAN", (1, len(table) - 1), (-1, len(table) - 1)))
        for fig in rows:
            n += 1
            label = Paragraph(escape(fig.label), st["sub" if fig.depth else "cell"])
            share = vi_percent(fig.share) if fig.share is not None else ""
            now = vi_int(fig.now) if fig.now is not None else ""
            table.append([str(n), label, vi_int(fig.count), share, now])
    grid = LongTable(table, colWidths=[10 * mm, width - 70 * mm, 22 * mm, 19 * mm, 19 * mm], repeatRows=1)
    grid.setStyle(TableStyle(style))
    story.append(grid)
    if content.children:
        story += [Spacer(1, 4 * mm), Paragraph(escape(content.child_title), st["part"])]
        count = len(content.child_headers)
        name_w = max(30 * mm, width - 9 * mm - count * 14 * mm)  # 14 mm: "5.600.000" at 8 points
        num_w = (width - 9 * mm - name_w) / count
        rows_: list[list[Any]] = [[p("STT", "head"), p(content.child_name_header, "head")]
                                  + [p(h, "head") for h in content.child_headers]]  # fmt: skip
        for i, child in enumerate(content.children, 1):
            rows_.append([str(i), p(child.name)] + [
                _cell_text(v, k in content.share_columns) for k, v in enumerate(child.values)
            ])  # fmt: skip
        if content.total is not None:
            rows_.append(["", Paragraph(f"<b>{escape(content.total.name)}</b>", st["cell"])] + [
                _cell_text(v, k in content.share_columns) for k, v in enumerate(content.total.values)
            ])  # fmt: skip
        children = LongTable(rows_, colWidths=[9 * mm, name_w] + [num_w] * count, repeatRows=1)
        child_style = [*_GRID, ("FONT", (0, 1), (-1, -1), SERIF, 8)]
        if content.total is not None:
            child_style.append(("FONT", (0, -1), (-1, -1), SERIF_BOLD, 8))
        children.setStyle(TableStyle(child_style))
        story.append(children)
    story.append(Spacer(1, 8 * mm))
    to = [Paragraph("<u>Nơi nhận:</u>", st["to"])] + [p(r, "to") for r in head.recipients]
    sign = [p(head.on_behalf, "sign"), p(head.position, "sign"), Spacer(1, 22 * mm), p(head.signer, "sign")]
    block = Table([[to, sign]], colWidths=[width * 0.45, width * 0.55])
    block.setStyle(
        TableStyle(
            [("FONT", (0, 0), (-1, -1), SERIF, 10), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LEFTPADDING", (0, 0), (0, 0), 0)]
        )
    )  # fmt: skip
    story.append(block)
    doc.build(story, onLaterPages=_page_number)
    return out.getvalue()
