"""Layout v2 prints the chip's card access number on the front, small and labelled "CAN".

ICAO 9303-11 §4.4: the CAN is printed on the document so that whoever holds it can open the chip with
PACE; a TD1 eMRTD prints it on the front, bottom right. A layout with a CAN slot refuses a card without
one (a chip nobody could open).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from partycard.printing.card import cards_pdf, proof_pdf
from partycard.printing.errors import CardDataError
from partycard.printing.layout import ID1_WIDTH_MM, layout_load
from tests.printing.conftest import make_card, poppler

MM = 72 / 25.4


def _pdftotext_bbox(path: Path, page: int) -> list[tuple[str, float, float]]:
    """(word, x max in mm from the trim's left, y max in mm from the trim's top) for each word on ``page``."""
    import re

    html = poppler("pdftotext", "-f", str(page), "-l", str(page), "-bbox", "-enc", "UTF-8", path, "-")
    reader = PdfReader(path)
    trim = reader.pages[page - 1].trimbox
    media_h = float(reader.pages[page - 1].mediabox.height)
    words = []
    for m in re.finditer(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', html):
        _x0, _y0, x1, y1, word = m.groups()
        # pdftotext's y is from the media box's top; the trim box's top is media_h - trim.top.
        top = media_h - float(trim.top)
        words.append((word, (float(x1) - float(trim.left)) / MM, (float(y1) - top) / MM))
    return words


def test_v2_prints_the_can_labelled_on_the_front_bottom_right(tmp_path: Path) -> None:
    path = tmp_path / "card.pdf"
    path.write_bytes(cards_pdf([make_card(can="048213")], layout=layout_load("v2")))
    front = poppler("pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8", path, "-").split()
    back = poppler("pdftotext", "-f", "2", "-l", "2", "-enc", "UTF-8", path, "-").split()
    assert "CAN" in front and "048213" in front
    assert "048213" not in back
    words = {w: (x, y) for w, x, y in _pdftotext_bbox(path, 1)}
    x, y = words["048213"]
    assert ID1_WIDTH_MM / 2 < x <= ID1_WIDTH_MM and y > 40  # right half, bottom of the front
    assert words["CAN"][1] < y  # the label above its digits


@pytest.mark.parametrize("can", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_v2_refuses_a_card_without_a_six_digit_can(can: str) -> None:
    with pytest.raises(CardDataError):
        cards_pdf([make_card(can=can)], layout=layout_load("v2"))


def test_v1_cards_of_before_pace_print_without_a_can(tmp_path: Path) -> None:
    path = tmp_path / "card.pdf"
    path.write_bytes(cards_pdf([make_card()], layout=layout_load("v1")))
    assert "CAN" not in poppler("pdftotext", "-enc", "UTF-8", path, "-").split()


def test_the_proof_legend_names_the_can() -> None:
    assert proof_pdf(layout=layout_load("v2"), sample=make_card(can="000000")).startswith(b"%PDF")


def test_the_can_is_not_in_the_card_print_repr() -> None:
    assert "048213" not in repr(make_card(can="048213"))
