"""Print-ready documents of partycard: the card template and the registers, receipts and minutes.

Pure library (no Django): the manufacturer's ``partycard-factory`` renders the cards from it too. The
fonts are Noto Sans and Noto Serif (SIL Open Font License 1.1, fonts/OFL.txt), shipped with the package
so that every machine renders the same Vietnamese text with the fonts embedded.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FONTS"]

FONTS = Path(__file__).resolve().parent / "fonts"
