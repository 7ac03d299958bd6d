"""Card PDF rendering: the same card (front + back) drawn by ReportLab, WeasyPrint, Typst and fpdf2, then
``partycard.printing.cards_pdf`` (the chosen one) on a larger batch.

Every renderer draws the layout ``v1`` (bands, emblem, photo resampled to its box at 300 dpi, every text
in the embedded Noto fonts, page = ID-1 trim + 3 mm bleed + slug) for N cards into one PDF. For each it
reports cards/s, bytes per card and the checks a print shop cares about: every font embedded
(``pdffonts``), the member's name extracted exactly (``pdftotext``, NFC), TrimBox/BleedBox written
(PDF 1.7 §14.11.2) and CMYK colours used.

    BENCH_CARDS=200 BENCH_BATCH=1000 .venv/bin/python bench/bench_card_pdf.py
    BENCH_LIBS=reportlab,typst .venv/bin/python bench/bench_card_pdf.py   # some libraries only

Writes ``bench/results/card_pdf.json``. WeasyPrint, Typst and fpdf2 are installed only to run this
(``pip install weasyprint typst fpdf2``); a missing one is reported as skipped.
"""

from __future__ import annotations

import html
import io
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from partycard.printing.card import CardPrint, cards_pdf, field_text
from partycard.printing.layout import ID1_HEIGHT_MM, ID1_WIDTH_MM, Cmyk, Face, Layout, layout_load

PT_PER_MM = 72 / 25.4
RESULTS = Path(__file__).resolve().parent / "results"

NAMES = [
    "Nguyễn Thị Thanh Hương",
    "Đặng Văn Ất",
    "Trần Quốc Tuấn",
    "Lê Thị Ngọc Ánh",
    "Phạm Hữu Đức",
    "Hoàng Thị Kiều Oanh",
    "Vũ Đình Trọng",
    "Bùi Thị Thuỷ Tiên",
]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, "").replace("_", "") or default)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def sample_photo(seed: int) -> bytes:
    """A 600 × 800 camera-like JPEG (gradients, a face-like oval, noise): what a photo upload looks like."""
    rng = random.Random(seed)
    im = Image.new("RGB", (600, 800), (rng.randint(150, 230), rng.randint(170, 230), 240))
    draw = ImageDraw.Draw(im)
    draw.ellipse((150, 120, 450, 520), fill=(224, 182, 150))
    draw.rectangle((80, 560, 520, 800), fill=(30, 40, 90))
    noise = Image.effect_noise((600, 800), 18).convert("RGB")
    im = Image.blend(im, noise, 0.12).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


def sample_cards(n: int) -> list[CardPrint]:
    photos = [sample_photo(i) for i in range(n)]  # distinct, as in a real batch (no shared XObject)
    return [
        CardPrint(
            card_number=f"{48_000_000 + i:08d}{i % 10}",
            full_name=unicodedata.normalize("NFC", NAMES[i % len(NAMES)]),
            date_of_birth=date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
            gender="F" if i % 2 else "M",
            date_admitted=date(1990 + i % 30, 3, 3),
            date_official=date(1991 + i % 30, 3, 3),
            issuing_committee="Đảng ủy phường Ba Đình, Thành phố Hà Nội",
            issue_date=date(2025, 8, 18),
            photo_jpeg=photos[i],
        )
        for i in range(n)
    ]


def photo_at_300dpi(jpeg: bytes, w_mm: float, h_mm: float) -> bytes:
    """The same resampling every renderer gets (as ``cards_pdf``'s): JPEG draft decode, Lanczos, q92."""
    size = (round(w_mm / 25.4 * 300), round(h_mm / 25.4 * 300))
    with Image.open(io.BytesIO(jpeg)) as im:
        im.draft("RGB", size)
        fitted = ImageOps.fit(im.convert("RGB"), size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    fitted.save(out, "JPEG", quality=92, dpi=(300, 300))
    return out.getvalue()


def page_mm(layout: Layout) -> tuple[float, float, float]:
    """Page width, height and the trim box's offset from the page's corner."""
    off = layout.bleed_mm + layout.slug_mm
    return ID1_WIDTH_MM + 2 * off, ID1_HEIGHT_MM + 2 * off, off


def crop_marks(layout: Layout) -> list[tuple[float, float, float, float]]:
    """Crop mark lines (x0, y0, x1, y1) in mm from the page's top-left: outside the bleed, in the slug."""
    pw, ph, off = page_mm(layout)
    gap = layout.bleed_mm + 0.5
    lines = []
    for x in (off, off + ID1_WIDTH_MM):
        lines += [(x, 0.0, x, off - gap), (x, ph - off + gap, x, ph)]
    for y in (off, off + ID1_HEIGHT_MM):
        lines += [(0.0, y, off - gap, y), (pw - off + gap, y, pw, y)]
    return lines


def texts_of(face: Face, card: CardPrint) -> list[tuple[Any, str]]:
    return [(t, t.text if t.text is not None else field_text(card, t.field or "")) for t in face.texts]


# ---------------------------------------------------------------------------------------------- ReportLab


def render_reportlab(cards: Sequence[CardPrint], layout: Layout, tmp: Path) -> bytes:
    from reportlab import rl_config
    from reportlab.lib.colors import CMYKColor
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    rl_config.useA85 = 0
    for name, path in layout.fonts.items():
        pdfmetrics.registerFont(TTFont(f"bench-{name}", str(path)))
    pw, ph, off = page_mm(layout)
    out = io.BytesIO()
    c = Canvas(out, pagesize=(pw * PT_PER_MM, ph * PT_PER_MM), invariant=1, initialFontName="bench-sans")

    def col(k: Cmyk) -> CMYKColor:
        return CMYKColor(k.c, k.m, k.y, k.k)

    def face(f: Face, card: CardPrint) -> None:
        c.saveState()
        c.translate(off * PT_PER_MM, (off + ID1_HEIGHT_MM) * PT_PER_MM)
        c.scale(PT_PER_MM, -PT_PER_MM)  # mm, y down, origin at the trim's top-left

        def box(x: float, y: float, w: float, h: float, color: Cmyk) -> None:
            c.setFillColor(col(color))
            c.rect(x, y, w, h, stroke=0, fill=1)

        b = layout.bleed_mm
        box(-b, -b, ID1_WIDTH_MM + 2 * b, ID1_HEIGHT_MM + 2 * b, f.background)
        for r in f.rects:
            box(r.box.x_mm, r.box.y_mm, r.box.w_mm, r.box.h_mm, r.color)

        def image(img: Any, bx: Any) -> None:
            c.saveState()
            c.translate(bx.x_mm, bx.y_mm + bx.h_mm)
            c.scale(1, -1)
            c.drawImage(img, 0, 0, bx.w_mm, bx.h_mm, mask="auto")
            c.restoreState()

        if f.emblem:
            image(str(layout.emblem_image), f.emblem)
        if f.photo:
            image(
                ImageReader(io.BytesIO(photo_at_300dpi(card.photo_jpeg, f.photo.w_mm, f.photo.h_mm))), f.photo
            )
        for t, s in texts_of(f, card):
            c.saveState()
            c.translate(t.x_mm, t.y_mm)
            c.scale(1 / PT_PER_MM, -1 / PT_PER_MM)
            c.setFillColor(col(t.color))
            c.setFont(f"bench-{t.font}", t.size_pt)
            {"left": c.drawString, "center": c.drawCentredString, "right": c.drawRightString}[t.align](
                0, 0, s
            )
            c.restoreState()
        c.restoreState()
        c.setStrokeColor(CMYKColor(1, 1, 1, 1))
        c.setLineWidth(0.25)
        for x0, y0, x1, y1 in crop_marks(layout):
            c.line(x0 * PT_PER_MM, (ph - y0) * PT_PER_MM, x1 * PT_PER_MM, (ph - y1) * PT_PER_MM)
        trim = (off * PT_PER_MM, off * PT_PER_MM, (pw - off) * PT_PER_MM, (ph - off) * PT_PER_MM)
        bo = layout.bleed_mm * PT_PER_MM
        c.setTrimBox(trim)
        c.setBleedBox((trim[0] - bo, trim[1] - bo, trim[2] + bo, trim[3] + bo))
        c.showPage()

    for card in cards:
        face(layout.front, card)
        face(layout.back, card)
    c.save()
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- WeasyPrint


def _css_cmyk(k: Cmyk) -> str:
    return f"device-cmyk({k.c:.3f} {k.m:.3f} {k.y:.3f} {k.k:.3f})"


def render_weasyprint(cards: Sequence[CardPrint], layout: Layout, tmp: Path) -> bytes:
    from weasyprint import HTML

    faces = []
    for i, card in enumerate(cards):
        for side, f in (("f", layout.front), ("b", layout.back)):
            parts = [f'<div class="page" style="background:{_css_cmyk(f.background)}">']
            for r in f.rects:
                bx = r.box
                parts.append(
                    f'<div style="position:absolute;left:{bx.x_mm}mm;top:{bx.y_mm}mm;width:{bx.w_mm}mm;'
                    f'height:{bx.h_mm}mm;background:{_css_cmyk(r.color)}"></div>'
                )
            for bx, src in ((f.emblem, layout.emblem_image), (f.photo, None)):
                if bx is None:
                    continue
                if src is None:
                    src = tmp / f"wp-{i}-{side}.jpg"
                    src.write_bytes(photo_at_300dpi(card.photo_jpeg, bx.w_mm, bx.h_mm))
                parts.append(
                    f'<img src="{src.as_uri()}" style="position:absolute;left:{bx.x_mm}mm;top:{bx.y_mm}mm;'
                    f'width:{bx.w_mm}mm;height:{bx.h_mm}mm">'
                )
            for t, s in texts_of(f, card):
                family = {"sans": "NS", "sans-bold": "NSB", "serif": "NR", "serif-bold": "NRB"}[t.font]
                # The line box's top = baseline y - ascent (Noto: 1.069 em).
                left = {"left": t.x_mm, "center": t.x_mm - 50, "right": t.x_mm - 100}[t.align]
                width = "auto" if t.align == "left" else "100mm"
                parts.append(
                    f'<div style="position:absolute;left:{left}mm;'
                    f"top:calc({t.y_mm}mm - {1.069 * t.size_pt}pt);"
                    f"width:{width};text-align:{t.align};font-family:{family};font-size:{t.size_pt}pt;"
                    f'line-height:{1.362 * t.size_pt}pt;white-space:nowrap;color:{_css_cmyk(t.color)}">'
                    f"{html.escape(s)}</div>"
                )
            parts.append("</div>")
            faces.append("".join(parts))
    fonts = "".join(
        f'@font-face{{font-family:{fam};src:url("{layout.fonts[key].as_uri()}")}}'
        for fam, key in (("NS", "sans"), ("NSB", "sans-bold"), ("NR", "serif"), ("NRB", "serif-bold"))
    )
    total = layout.bleed_mm + layout.slug_mm
    css = (
        f"{fonts}@page{{size:{ID1_WIDTH_MM}mm {ID1_HEIGHT_MM}mm;margin:0;bleed:{total}mm;marks:crop}}"
        "body{margin:0}.page{position:relative;width:85.6mm;height:53.98mm;overflow:visible;"
        "break-after:page}"
    )
    doc = f"<html><head><meta charset=utf-8><style>{css}</style></head><body>{''.join(faces)}</body></html>"
    return HTML(string=doc).write_pdf()  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------- Typst


def _typ_cmyk(k: Cmyk) -> str:
    return f"cmyk({k.c * 100:.1f}%, {k.m * 100:.1f}%, {k.y * 100:.1f}%, {k.k * 100:.1f}%)"


def _typ_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_typst(cards: Sequence[CardPrint], layout: Layout, tmp: Path) -> bytes:
    import typst

    pw, ph, off = page_mm(layout)
    b = layout.bleed_mm
    fam = {"sans": ("Noto Sans", "regular"), "sans-bold": ("Noto Sans", "bold"),
           "serif": ("Noto Serif", "regular"), "serif-bold": ("Noto Serif", "bold")}  # fmt: skip
    (tmp / "emblem.png").write_bytes(layout.emblem_image.read_bytes())
    out = [f"#set page(width: {pw}mm, height: {ph}mm, margin: 0pt)\n"]
    marks = "".join(
        f"#place(top + left, line(start: ({x0}mm, {y0}mm), end: ({x1}mm, {y1}mm), "
        f"stroke: 0.25pt + cmyk(100%, 100%, 100%, 100%)))\n"
        for x0, y0, x1, y1 in crop_marks(layout)
    )
    first = True
    for i, card in enumerate(cards):
        for f in (layout.front, layout.back):
            if not first:
                out.append("#pagebreak()\n")
            first = False

            def rect(x: float, y: float, w: float, h: float, k: Cmyk) -> str:
                return (
                    f"#place(top + left, dx: {off + x}mm, dy: {off + y}mm, "
                    f"rect(width: {w}mm, height: {h}mm, fill: {_typ_cmyk(k)}))\n"
                )

            out.append(rect(-b, -b, ID1_WIDTH_MM + 2 * b, ID1_HEIGHT_MM + 2 * b, f.background))
            out += [rect(r.box.x_mm, r.box.y_mm, r.box.w_mm, r.box.h_mm, r.color) for r in f.rects]
            for bx, name in ((f.emblem, "emblem.png"), (f.photo, f"p-{i}.jpg")):
                if bx is None:
                    continue
                if name != "emblem.png":
                    (tmp / name).write_bytes(photo_at_300dpi(card.photo_jpeg, bx.w_mm, bx.h_mm))
                out.append(
                    f'#place(top + left, dx: {off + bx.x_mm}mm, dy: {off + bx.y_mm}mm, image("{name}", '
                    f"width: {bx.w_mm}mm, height: {bx.h_mm}mm))\n"
                )
            for t, s in texts_of(f, card):
                family, weight = fam[t.font]
                body = (
                    f'text(font: "{family}", weight: "{weight}", size: {t.size_pt}pt, '
                    f"fill: {_typ_cmyk(t.color)}, "
                    f'top-edge: "baseline", bottom-edge: "baseline", {_typ_str(s)})'
                )
                dx = off + {"left": t.x_mm, "center": t.x_mm - 50, "right": t.x_mm - 100}[t.align]
                out.append(
                    f"#place(top + left, dx: {dx}mm, dy: {off + t.y_mm}mm, "
                    f"box(width: {'auto' if t.align == 'left' else '100mm'}, align({t.align}, {body})))\n"
                )
            out.append(marks)
    main = tmp / "cards.typ"
    main.write_text("".join(out), encoding="utf-8")
    pdf = typst.compile(str(main), root=str(tmp), font_paths=[str(layout.fonts["sans"].parent)],
                        ignore_system_fonts=True)  # fmt: skip
    assert isinstance(pdf, bytes)
    return pdf


# ---------------------------------------------------------------------------------------------- fpdf2


def render_fpdf2(cards: Sequence[CardPrint], layout: Layout, tmp: Path) -> bytes:
    from fpdf import FPDF
    from fpdf.drawing import DeviceCMYK

    pw, ph, off = page_mm(layout)
    b = layout.bleed_mm
    pdf = FPDF(unit="mm", format=(pw, ph))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    for name, path in layout.fonts.items():
        pdf.add_font(name, "", str(path))

    def col(k: Cmyk) -> DeviceCMYK:
        return DeviceCMYK(k.c, k.m, k.y, k.k)

    for card in cards:
        for f in (layout.front, layout.back):
            pdf.add_page()
            pdf.set_fill_color(col(f.background))
            pdf.rect(off - b, off - b, ID1_WIDTH_MM + 2 * b, ID1_HEIGHT_MM + 2 * b, style="F")
            for r in f.rects:
                pdf.set_fill_color(col(r.color))
                pdf.rect(off + r.box.x_mm, off + r.box.y_mm, r.box.w_mm, r.box.h_mm, style="F")
            if f.emblem:
                e = f.emblem
                pdf.image(str(layout.emblem_image), off + e.x_mm, off + e.y_mm, e.w_mm, e.h_mm)
            if f.photo:
                p = f.photo
                img = io.BytesIO(photo_at_300dpi(card.photo_jpeg, p.w_mm, p.h_mm))
                pdf.image(img, off + p.x_mm, off + p.y_mm, p.w_mm, p.h_mm)
            for t, s in texts_of(f, card):
                pdf.set_font(t.font, size=t.size_pt)
                pdf.set_text_color(col(t.color))
                w = pdf.get_string_width(s)
                x = {"left": t.x_mm, "center": t.x_mm - w / 2, "right": t.x_mm - w}[t.align]
                pdf.text(off + x, off + t.y_mm, s)
            pdf.set_draw_color(DeviceCMYK(1, 1, 1, 1))
            pdf.set_line_width(0.25 / PT_PER_MM)
            for x0, y0, x1, y1 in crop_marks(layout):
                pdf.line(x0, y0, x1, y1)
    return bytes(pdf.output())


# ---------------------------------------------------------------------------------------------- checks


def check(pdf: bytes, cards: Sequence[CardPrint], layout: Layout, tmp: Path) -> dict[str, Any]:
    from pypdf import PdfReader

    path = tmp / "check.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    # pdffonts columns: name type encoding emb sub uni object ID; emb is the 4th from the right's left.
    emb = [r[-5] for r in rows]
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    name = cards[0].full_name
    reader = PdfReader(path)
    page = reader.pages[0]
    trim = page.get("/TrimBox")
    bleed = page.get("/BleedBox")
    content = page.get_contents()
    ops = content.get_data().decode("latin-1") if content is not None else ""

    def mm(box: Any) -> list[float] | None:
        return None if box is None else [round(float(v) / PT_PER_MM, 2) for v in box]

    trim_mm = mm(trim)
    trim_ok = (
        trim_mm is not None
        and abs(trim_mm[2] - trim_mm[0] - ID1_WIDTH_MM) < 0.01
        and abs(trim_mm[3] - trim_mm[1] - ID1_HEIGHT_MM) < 0.01
    )
    bleed_mm = mm(bleed)
    bleed_ok = (
        trim_ok
        and bleed_mm is not None
        and trim_mm is not None
        and abs(trim_mm[0] - bleed_mm[0] - layout.bleed_mm) < 0.01
    )
    return {
        "pages": len(reader.pages),
        "fonts": len(rows),
        "all_fonts_embedded": bool(rows) and all(e == "yes" for e in emb),
        "name_extracted_exactly": name in unicodedata.normalize("NFC", text) and name in text,
        "name_extracted_nfd_or_not_at_all": name not in text,
        "trim_box_mm": trim_mm,
        "bleed_box_mm": bleed_mm,
        "trim_box_ok": trim_ok,
        "bleed_box_ok": bleed_ok,
        "cmyk_colour_operators": bool(re.search(r"\b(k|K)\b", ops)) or "DeviceCMYK" in ops or "/CS" in ops,
    }


RENDERERS: dict[str, Callable[[Sequence[CardPrint], Layout, Path], bytes]] = {
    "reportlab": render_reportlab,
    "weasyprint": render_weasyprint,
    "typst": render_typst,
    "fpdf2": render_fpdf2,
}


def timed(fn: Callable[[], bytes]) -> tuple[bytes, float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("reportlab", "rl_accel", "weasyprint", "typst", "fpdf2", "pillow", "segno"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def main() -> int:
    n = env_int("BENCH_CARDS", 200)
    batch = env_int("BENCH_BATCH", 1000)
    repeats = env_int("BENCH_REPEATS", 3)
    libs = [x for x in os.environ.get("BENCH_LIBS", ",".join(RENDERERS)).split(",") if x]
    layout = layout_load("v1")
    cards = sample_cards(max(n, 1))
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {
            "nproc": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "command": " ".join(
            [f"BENCH_CARDS={n}", f"BENCH_BATCH={batch}", f"BENCH_REPEATS={repeats}", *sys.argv]
        ),
        "cards": n,
        "loadavg_before": Path("/proc/loadavg").read_text().split()[:3],
        "libraries": {},
    }
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        # The floor every renderer shares: decode, crop, resample and re-encode the photo (Pillow).
        p = layout.front.photo
        assert p is not None
        started = time.perf_counter()
        for card in cards[:n]:
            photo_at_300dpi(card.photo_jpeg, p.w_mm, p.h_mm)
        results["photo_resample_only_cards_per_s"] = round(n / (time.perf_counter() - started), 1)
        log(f"photo resample alone: {results['photo_resample_only_cards_per_s']} cards/s")
        for lib in libs:
            try:
                __import__({"fpdf2": "fpdf"}.get(lib, lib))
            except ImportError as e:
                results["libraries"][lib] = {"skipped": str(e)}
                log(f"{lib}: skipped ({e})")
                continue
            RENDERERS[lib](cards[:2], layout, tmp)  # warm-up: font parsing, imports
            best = None
            for _ in range(repeats):
                pdf, seconds = timed(lambda lib=lib: RENDERERS[lib](cards[:n], layout, tmp))  # type: ignore[misc]
                best = seconds if best is None else min(best, seconds)
            assert best is not None
            row = {
                "seconds": round(best, 3),
                "cards_per_s": round(n / best, 1),
                "bytes": len(pdf),
                "bytes_per_card": round(len(pdf) / n),
                **check(pdf, cards, layout, tmp),
            }
            results["libraries"][lib] = row
            log(f"{lib}: {row}")
        # The chosen library through the real API (QR code, glyph checks, fitting), on a larger batch.
        if batch:
            big = [replace(c, card_number=f"{c.card_number}-{i}") for i, c in enumerate(sample_cards(batch))]
            pdf, seconds = timed(lambda: cards_pdf(big, layout=layout))
            row = {
                "cards": batch,
                "seconds": round(seconds, 2),
                "cards_per_s": round(batch / seconds, 1),
                "bytes": len(pdf),
                "bytes_per_card": round(len(pdf) / batch),
                **check(pdf, big, layout, tmp),
            }
            results["cards_pdf"] = row
            log(f"cards_pdf: {row}")
    results["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "card_pdf.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"{'library':<12} {'cards/s':>9} {'B/card':>8} fonts-emb name-exact trim bleed cmyk")
    for lib, row in results["libraries"].items():
        if "skipped" in row:
            print(f"{lib:<12} skipped")
            continue
        print(
            f"{lib:<12} {row['cards_per_s']:>9} {row['bytes_per_card']:>8} {row['all_fonts_embedded']!s:>9} "
            f"{row['name_extracted_exactly']!s:>10} {row['trim_box_ok']!s:>4} {row['bleed_box_ok']!s:>5} "
            f"{row['cmyk_colour_operators']!s:>4}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
