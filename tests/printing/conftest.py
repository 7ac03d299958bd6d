"""Shared for the printing tests: sample cards with real JPEG photos, and poppler's command-line tools.

pdffonts and pdftotext (poppler-utils) read the PDFs as a print shop's tools would. Without them the
tests that need them skip, unless ``PARTYCARD_REQUIRE_PCSC=1`` (CI, which installs poppler-utils), where
they fail.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from partycard.printing.card import CardPrint
from partycard.printing.layout import Layout, layout_load

__all__ = ["jpeg", "make_card", "pdffonts_emb", "poppler"]


def jpeg(width: int = 600, height: int = 800, colour: tuple[int, int, int] = (200, 160, 130)) -> bytes:
    """A photo-like JPEG: a coloured background with a darker oval."""
    im = Image.new("RGB", (width, height), (170, 190, 230))
    ImageDraw.Draw(im).ellipse((width // 4, height // 6, 3 * width // 4, 2 * height // 3), fill=colour)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


def make_card(**changes: object) -> CardPrint:
    values: dict[str, object] = {
        "card_number": "480012345",
        "full_name": "Nguyễn Thị Thanh Hương",
        "date_of_birth": date(1978, 4, 9),
        "gender": "F",
        "date_admitted": date(2001, 5, 19),
        "date_official": date(2002, 5, 19),
        "issuing_committee": "Đảng ủy phường Ba Đình",
        "issue_date": date(2025, 8, 18),
        "photo_jpeg": jpeg(),
    }
    values.update(changes)
    return CardPrint(**values)  # type: ignore[arg-type]


def poppler(tool: str, *args: str | Path) -> str:
    """Run a poppler-utils tool and return its standard output (UTF-8)."""
    if shutil.which(tool) is None:
        if os.environ.get("PARTYCARD_REQUIRE_PCSC") == "1":
            pytest.fail(f"PARTYCARD_REQUIRE_PCSC=1 but {tool} is not installed (poppler-utils)")
        pytest.skip(f"{tool} is not installed (apt-get install poppler-utils)")
    done = subprocess.run([tool, *map(str, args)], capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8")


@pytest.fixture(scope="session")
def layout() -> Layout:
    return layout_load("v1")


def pdffonts_emb(path: Path) -> list[tuple[str, str]]:
    """(font name, emb column) per font, columns cut at the positions of pdffonts' dashed header line."""
    lines = poppler("pdffonts", path).splitlines()
    header, dashes, rows = lines[0], lines[1], [line for line in lines[2:] if line.strip()]
    spans, start = [], 0
    for part in dashes.split(" "):
        spans.append((start, start + len(part)))
        start += len(part) + 1
    names = [header[a:b].strip() for a, b in spans]
    emb = names.index("emb")
    return [
        (row[spans[0][0] : spans[0][1]].strip(), row[spans[emb][0] : spans[emb][1]].strip()) for row in rows
    ]
