"""The list order of Vietnamese names and the words a name is found by.

The expected orders are written from the sources the key follows, not from the key: the Vietnamese
alphabet of 29 letters, a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y (CLDR
``common/collation/vi.xml``, "standard": ``&a<ă<â``, ``&d<đ``, ``&e<ê``, ``&o<ô<ơ``, ``&u<ư``), the tones
compared only after the letters, unmarked first, then huyền, hỏi, ngã, sắc, nặng (the same tailoring:
``&̀<<̉<<̃<<́<<̣``), and the issue's reading order: given name, then family name, then middle names.
"""

from __future__ import annotations

import random

from partycard.registry.names import name_sort_key, name_words, query_words

ALPHABET = "a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y".split()  # noqa: SIM905


def ordered(names: list[str]) -> list[str]:
    shuffled = names[:]
    random.Random(15).shuffle(shuffled)
    return sorted(shuffled, key=name_sort_key)


def test_the_29_letters_are_in_the_order_of_the_vietnamese_alphabet() -> None:
    given = [letter.upper() for letter in ALPHABET]
    assert ordered(given) == given


def test_d_bar_comes_after_every_d() -> None:
    assert ordered(["Đào", "Dung", "Duy", "Dũng", "Đạt", "Em"]) == ["Dung", "Dũng", "Duy", "Đào", "Đạt", "Em"]


def test_a_breve_and_a_circumflex_come_after_a() -> None:
    assert ordered(["Ân", "Ăn", "An", "Anh", "Ba"]) == ["An", "Anh", "Ăn", "Ân", "Ba"]
    assert ordered(["Ơn", "Ôn", "On", "Ưng", "Ung"]) == ["On", "Ôn", "Ơn", "Ung", "Ưng"]


def test_tones_are_compared_only_after_the_letters_in_their_order() -> None:
    assert ordered(["Mạ", "Má", "Mã", "Mả", "Mà", "Ma"]) == ["Ma", "Mà", "Mả", "Mã", "Má", "Mạ"]
    # a tone never outweighs a letter: "Hùng" comes before "Hunh", "Hưng" after every "Hu…"
    assert ordered(["Hưng", "Hunh", "Hùng", "Hung", "Huy"]) == ["Hung", "Hùng", "Hunh", "Huy", "Hưng"]


def test_given_name_then_family_name_then_middle_names() -> None:
    assert ordered(["Trần Văn An", "Nguyễn Văn Bình", "Lê Văn An", "Lê Thị An", "Lê An"]) == [
        "Lê An",  # no middle name first
        "Lê Thị An",
        "Lê Văn An",
        "Trần Văn An",
        "Nguyễn Văn Bình",
    ]
    # every Hùng together, by family name, before the Hưngs
    assert ordered(["Trần Hưng", "Vũ Hùng", "Lê Hùng", "An Hưng"]) == [
        "Lê Hùng",
        "Vũ Hùng",
        "An Hưng",
        "Trần Hưng",
    ]


def test_a_one_word_name_is_a_given_name_and_case_is_ignored() -> None:
    assert ordered(["Nguyễn Văn Anh", "anh", "Lan"]) == ["anh", "Nguyễn Văn Anh", "Lan"]
    assert name_sort_key("NGUYỄN VĂN AN") == name_sort_key("Nguyễn Văn An")
    # decomposed and precomposed spellings are one name
    assert name_sort_key("Nguye\u0302\u0303n") == name_sort_key("Nguyễn")


def test_a_name_is_found_by_its_folded_words() -> None:
    assert name_words("Nguyễn  Thị Đào") == ["nguyen", "thi", "dao"]
    assert name_words("H'Hen Niê") == ["h", "hen", "nie"]
    assert name_words("Lê Lê") == ["le"]


def test_a_query_word_that_begins_another_is_implied_by_it() -> None:
    assert query_words("h Hùng le") == ["hung", "le"]
    assert query_words("  ") == []
