from partycard.registry import selectors


def names(members) -> list[str]:
    return [m.full_name for m in members]


def test_unaccented_query_finds_accented_names(tree, make_member) -> None:
    make_member(full_name="Nguyễn Văn An")
    make_member(full_name="Đặng Thị Đào", gender="F", citizen_id="001180012346")
    make_member(full_name="Nguyễn Văn Anh", citizen_id="001080012347")
    assert names(selectors.member_search(tree.centre, "nguyen van an")) == ["Nguyễn Văn An", "Nguyễn Văn Anh"]
    assert names(selectors.member_search(tree.centre, "dang thi dao")) == ["Đặng Thị Đào"]
    assert names(selectors.member_search(tree.centre, "ĐÀO")) == ["Đặng Thị Đào"]
    assert names(selectors.member_search(tree.centre, "van a")) == ["Nguyễn Văn An", "Nguyễn Văn Anh"]
    assert selectors.member_search(tree.centre, "tran") == []


def test_search_stays_inside_the_subtree(tree, make_member) -> None:
    make_member(full_name="Lê Văn Hùng")
    make_member(org=tree.hue_cell, full_name="Lê Văn Hùng", citizen_id="001080012346")
    hanoi = selectors.member_search(tree.hanoi, "le van hung")
    assert [m.organisation_id for m in hanoi] == [tree.cell_a.pk]
    assert len(selectors.member_search(tree.centre, "le van hung")) == 2
    assert selectors.member_search(tree.hue, "le van hung")[0].organisation_id == tree.hue_cell.pk


def test_keyset_pages(tree, make_member) -> None:
    for i in range(7):
        make_member(full_name=f"Phạm Văn Tú {i}", citizen_id=f"00108001235{i}")
    page1 = selectors.member_search(tree.centre, "pham van tu", limit=3)
    page2 = selectors.member_search(
        tree.centre, "pham van tu", limit=3, after=(page1[-1].name_search, page1[-1].pk)
    )
    page3 = selectors.member_search(
        tree.centre, "pham van tu", limit=3, after=(page2[-1].name_search, page2[-1].pk)
    )
    assert names(page1 + page2 + page3) == [f"Phạm Văn Tú {i}" for i in range(7)]


def test_trigram_pattern_loosens_only_between_long_words() -> None:
    from partycard.registry.selectors import _trigram_pattern

    def same(word: str) -> str:
        return word

    assert _trigram_pattern("tran thi thu", same) == "%tran_thi_thu%"
    assert _trigram_pattern("nguyen van an", same) == "%nguyen_van an%"
    assert _trigram_pattern("le van hung", same) == "%le van_hung%"


def test_full_name_search_is_exact_whatever_the_index_pattern(tree, make_member) -> None:
    make_member(full_name="Trần Thị Thu")
    make_member(full_name="Trần Thị Thu Hà", gender="F", citizen_id="001180012346")
    make_member(full_name="Trần Thịxthu", gender="F", citizen_id="001180012347")  # matches tran_thi_thu only
    make_member(full_name="Lê Văn An", citizen_id="001080012348")
    assert names(selectors.member_search(tree.centre, "tran thi thu")) == ["Trần Thị Thu", "Trần Thị Thu Hà"]
    assert names(selectors.member_search(tree.centre, "  le   van an ")) == ["Lê Văn An"]
