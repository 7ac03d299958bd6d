import unicodedata

import pytest

from partycard.core.text import fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Văn An", "nguyen van an"),
        ("Đặng Thị Đào", "dang thi dao"),
        ("ĐỨC", "duc"),
        ("  Trần   Thị\tThu  ", "tran thi thu"),
        ("Hồ Chí Minh", "ho chi minh"),
        ("nguyen van an", "nguyen van an"),
    ],
)
def test_fold_strips_vietnamese_diacritics(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_is_the_same_for_composed_and_decomposed_input() -> None:
    composed = "Nguyễn Thị Ánh"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert fold(composed) == fold(decomposed) == "nguyen thi anh"
