"""Base45 (RFC 9285): the RFC's examples, round trips, and strict refusal of everything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partycard.ecard.base45 import ALPHABET, b45decode, b45encode
from partycard.ecard.errors import Base45Error, ECardError

RFC_EXAMPLES = [  # RFC 9285 §4.3 and §4.4
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
    (b"", ""),
]


@pytest.mark.parametrize(("data", "text"), RFC_EXAMPLES)
def test_rfc_examples(data: bytes, text: str) -> None:
    assert b45encode(data) == text
    assert b45decode(text) == data


@pytest.mark.parametrize(
    "text",
    ["GGW", "A", "ABCD", "abc", "BB8\n", "BB8=", "::", "é00", "\x00\x00\x00", ":::"],
)
def test_refused(text: str) -> None:
    with pytest.raises(Base45Error):
        b45decode(text)


def test_refuses_non_text() -> None:
    with pytest.raises(Base45Error):
        b45decode(b"BB8")  # type: ignore[arg-type]


def test_largest_values() -> None:
    assert b45encode(b"\xff\xff") == "FGW"
    assert b45decode("FGW") == b"\xff\xff"
    assert b45encode(b"\xff") == "U5"
    assert b45decode("U5") == b"\xff"
    with pytest.raises(Base45Error):
        b45decode("V5")  # 256 in the final pair


@given(st.binary(max_size=600))
def test_round_trip(data: bytes) -> None:
    text = b45encode(data)
    assert set(text) <= set(ALPHABET)
    assert len(text) == len(data) // 2 * 3 + len(data) % 2 * 2
    assert b45decode(text) == data


@given(st.text(max_size=200) | st.text(alphabet=ALPHABET, max_size=200))
def test_decode_raises_only_its_error(text: str) -> None:
    try:
        data = b45decode(text)
    except ECardError:
        return
    assert b45encode(data) == text  # whatever decodes is canonical: one text per byte string
