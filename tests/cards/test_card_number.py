"""The card number's check digit: every single-digit error and every adjacent transposition is caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partycard.cards import card_number

serials = st.integers(min_value=1, max_value=10**card_number.SERIAL_DIGITS - 1)


@given(serials)
def test_every_single_digit_error_is_caught(serial: int) -> None:
    number = card_number.from_serial(serial)
    assert card_number.problem(number) is None
    for i, ch in enumerate(number):
        for d in "0123456789":
            if d != ch:
                typo = number[:i] + d + number[i + 1 :]
                assert card_number.problem(typo) is not None, typo


@given(serials)
def test_every_adjacent_transposition_is_caught(serial: int) -> None:
    number = card_number.from_serial(serial)
    for i in range(len(number) - 1):
        a, b = number[i], number[i + 1]
        if a != b:
            swapped = number[:i] + b + a + number[i + 2 :]
            assert card_number.problem(swapped) is not None, swapped


def test_format_and_typed_forms() -> None:
    number = card_number.from_serial(123456789)
    assert len(number) == 10 and number.startswith("123456789")
    shown = card_number.format_number(number)
    assert shown == f"123 456 789 {number[-1]}"
    assert card_number.problem(shown) is None and card_number.problem(shown.replace(" ", "-")) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12345678", "10 digits"),
        ("12345678901", "10 digits"),
        ("12345a7890", "digits only"),
        ("１２３４５６７８９０", "digits only"),  # full-width digits are not ASCII digits
        ("0000000000", "never issued"),
    ],
)
def test_bad_input_says_why(text: str, reason: str) -> None:
    assert reason in (card_number.problem(text) or "")


def test_serial_range() -> None:
    with pytest.raises(ValueError):
        card_number.from_serial(0)
    with pytest.raises(ValueError):
        card_number.from_serial(10**9)
