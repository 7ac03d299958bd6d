"""The member search (issue 15): words match as words, accents and case ignored; results in the list's
order; a count and numbered pages; the scope is never left."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from partycard.accounts.models import Role, User
from partycard.registry import selectors, services
from partycard.registry.models import NameWord, SearchEntry
from partycard.registry.search_index import search_index_rebuild
from partycard.registry.selectors import MemberFilters


def names(members: list[Any]) -> list[str]:
    return [m.full_name for m in members]


def search(root: Any, query: str, **kwargs: Any) -> list[str]:
    return names(selectors.member_search(root, query, **kwargs))


@pytest.fixture
def people(tree: Any, make_member: Any) -> dict[str, Any]:
    """Names from the issue, with look-alikes that must not match."""
    ids = iter(range(100, 200))
    made = {}
    for full_name, gender in [
        ("Lê Văn Hùng", "M"),
        ("Nguyễn Văn Hưng", "M"),
        ("Phạm Hung", "M"),
        ("Trần Văn Huy", "M"),
        ("Nguyễn Thị Lan", "F"),
        ("Nguyễn Văn Thịnh", "M"),
        ("Trần Thị Nguyệt", "F"),
        ("Lê Văn Thanh", "M"),
        ("Đặng Văn An", "M"),
    ]:
        made[full_name] = make_member(
            full_name=full_name, gender=gender, citizen_id=f"001{0 if gender == 'M' else 1}80{next(ids):06d}"
        )
    return made


def test_family_and_given_name_find_a_name_with_a_middle_name(tree: Any, people: Any) -> None:
    # The issue: "'le hung' finds nobody, though 'Lê Văn Hùng' is in the registry."
    assert search(tree.centre, "le hung") == ["Lê Văn Hùng"]
    assert search(tree.centre, "hung le") == ["Lê Văn Hùng"]  # words, in any order


def test_a_given_name_finds_every_spelling_of_it(tree: Any, people: Any) -> None:
    # "'hung' finds every Hùng/Hưng/Hung given name"; accents are ignored (folded), also in the query.
    found = ["Phạm Hung", "Lê Văn Hùng", "Nguyễn Văn Hưng"]
    assert sorted(search(tree.centre, "hung")) == sorted(found)
    assert sorted(search(tree.centre, "Hùng")) == sorted(found)
    assert sorted(search(tree.centre, "HƯNG")) == sorted(found)


def test_a_word_matches_as_a_prefix_of_a_word_never_inside_one(tree: Any, people: Any) -> None:
    assert sorted(search(tree.centre, "hu")) == sorted(
        ["Phạm Hung", "Lê Văn Hùng", "Nguyễn Văn Hưng", "Trần Văn Huy"]
    )
    assert search(tree.centre, "an") == ["Đặng Văn An"]  # not Lê Văn Thanh: "an" is inside "thanh"
    assert search(tree.centre, "dang") == ["Đặng Văn An"]  # đ folds to d


def test_nguyen_thi_finds_the_names_holding_both_words(tree: Any, people: Any) -> None:
    # "Thi" begins "Thịnh" too: a word of the query matches the start of a word of the name.
    assert sorted(search(tree.centre, "nguyen thi")) == sorted(["Nguyễn Thị Lan", "Nguyễn Văn Thịnh"])
    assert search(tree.centre, "nguyen thi lan") == ["Nguyễn Thị Lan"]
    assert search(tree.centre, "tran lan") == []
    assert search(tree.centre, "xyz") == []


def test_results_are_in_the_lists_order_given_then_family_then_middle(tree: Any, make_member: Any) -> None:
    for n, full_name in enumerate(["Trần Văn Bình", "Nguyễn Văn An", "Lê Văn Bình", "Đỗ An", "Lê Thị Bình"]):
        make_member(full_name=full_name, citizen_id=f"00108005{n:04d}")
    # given name An first; then by family name: Đ comes after D but before N
    assert search(tree.centre, "") == [
        "Đỗ An",
        "Nguyễn Văn An",
        "Lê Thị Bình",
        "Lê Văn Bình",
        "Trần Văn Bình",
    ]
    assert search(tree.centre, "binh") == ["Lê Thị Bình", "Lê Văn Bình", "Trần Văn Bình"]


def test_filters_still_narrow_the_search(tree: Any, people: Any) -> None:
    services.member_update(
        actor=None,
        member=people["Phạm Hung"],
        changes={"date_of_birth": dt.date(1961, 6, 1), "citizen_id": "001061000777"},
    )
    assert search(tree.centre, "hung", filters=MemberFilters(age_band="61-75")) == ["Phạm Hung"]
    assert search(tree.centre, "nguyen", filters=MemberFilters(gender="F")) == ["Nguyễn Thị Lan"]
    assert search(tree.centre, "", filters=MemberFilters(status="deceased")) == []


def test_a_changed_name_is_found_by_its_new_words_only(tree: Any, people: Any) -> None:
    services.member_update(actor=None, member=people["Phạm Hung"], changes={"full_name": "Phạm Quốc Bảo"})
    assert search(tree.centre, "quoc bao") == ["Phạm Quốc Bảo"]
    assert "Phạm Quốc Bảo" not in search(tree.centre, "hung")
    assert NameWord.objects.filter(word="bao").exists()  # a new word, so that a prefix finds it ("ba")
    assert search(tree.centre, "ba") == ["Phạm Quốc Bảo"]


def test_search_stays_inside_the_subtree(tree: Any, make_member: Any) -> None:
    make_member(full_name="Lê Văn Hùng")
    make_member(org=tree.hue_cell, full_name="Lê Văn Hùng", citizen_id="001080012346")
    hanoi = selectors.member_search(tree.hanoi, "le van hung")
    assert [m.organisation_id for m in hanoi] == [tree.cell_a.pk]
    assert len(selectors.member_search(tree.centre, "le van hung")) == 2
    assert [m.organisation_id for m in selectors.member_search(tree.hue, "le hung")] == [tree.hue_cell.pk]
    # below a committee: a commune, a grassroots committee, a cell
    assert [m.organisation_id for m in selectors.member_search(tree.school, "hung")] == [tree.cell_a.pk]
    assert selectors.member_search(tree.cell_b, "hung") == []


def test_a_transfer_moves_the_member_between_committees_in_the_search(tree: Any, make_member: Any) -> None:
    member = make_member(full_name="Lê Văn Hùng")
    services.member_transfer(actor=None, member=member, to_cell=tree.hue_cell, reason="chuyển sinh hoạt")
    assert search(tree.hanoi, "hung") == []
    assert search(tree.hue, "hung") == ["Lê Văn Hùng"]
    assert (
        SearchEntry.objects.filter(member=member).values_list("committee_id", flat=True).distinct().get()
        == tree.hue.pk
    )


def test_keyset_pages_continue_after_a_cursor(tree: Any, make_member: Any) -> None:
    for i in range(7):
        make_member(full_name=f"Phạm Văn Tú {i}", citizen_id=f"00108001235{i}")
    seen: list[str] = []
    after = None
    for _ in range(3):
        page = selectors.member_search(tree.centre, "pham van tu", limit=3, after=after)
        seen += names(page)
        after = selectors.decode_cursor(selectors.encode_cursor(page[-1])) if page else None
    assert seen == [f"Phạm Văn Tú {i}" for i in range(7)]
    assert selectors.decode_cursor("not-a-cursor!") is None
    assert selectors.decode_cursor(selectors.encode_cursor(type("M", (), {"pk": 987654})())) is None  # gone


@pytest.fixture
def officer(tree: Any) -> User:
    return User.objects.create_user(
        "hn", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )


def test_pages_and_count(tree: Any, make_member: Any, officer: User) -> None:
    for i in range(7):
        make_member(full_name=f"Phạm Văn Tú {i}", citizen_id=f"00108001235{i}")
    pages = [selectors.member_page(officer, MemberFilters(q="tu"), page=n, per_page=3) for n in (1, 2, 3, 4)]
    assert [p.count for p in pages] == [7, 7, 7, 7]
    assert [names(p.members) for p in pages] == [
        ["Phạm Văn Tú 0", "Phạm Văn Tú 1", "Phạm Văn Tú 2"],
        ["Phạm Văn Tú 3", "Phạm Văn Tú 4", "Phạm Văn Tú 5"],
        ["Phạm Văn Tú 6"],
        [],
    ]
    assert [p.pages for p in pages] == [3, 3, 3, 3]
    assert [p.has_next for p in pages] == [True, True, False, False]
    assert not pages[0].capped


def test_a_count_above_the_cap_says_more_than(
    tree: Any, make_member: Any, officer: User, monkeypatch: Any
) -> None:
    monkeypatch.setattr(selectors, "COUNT_CAP", 4)
    for i in range(7):
        make_member(full_name=f"Phạm Văn Tú {i}", citizen_id=f"00108001235{i}")
    first = selectors.member_page(officer, MemberFilters(q="tu"), page=1, per_page=3)
    assert first.capped and first.count == 5 and first.pages == 2  # the cap's pages: 4 of 3 per page
    # beyond the cap, a page still holds its members (the "next" link goes on)
    third = selectors.member_page(officer, MemberFilters(q="tu"), page=3, per_page=3)
    assert names(third.members) == ["Phạm Văn Tú 6"]


def test_a_hanoi_officer_never_sees_a_hue_member(tree: Any, make_member: Any, officer: User) -> None:
    # The issue: scope is always applied, through any query or page.
    for n, full_name in enumerate(["Hoàng Văn Huế", "Lê Văn Hùng", "Nguyễn Thị Huệ"]):
        make_member(org=tree.hue_cell, full_name=full_name, citizen_id=f"00108009{n:04d}")
    make_member(full_name="Lê Văn Hùng")
    for q in ["", "hue", "h", "le hung", "hung", "nguyen thi", "van", "hoang van hue"]:
        for page in (1, 2, 3):
            result = selectors.member_page(officer, MemberFilters(q=q), page=page, per_page=1)
            assert all(m.organisation_id != tree.hue_cell.pk for m in result.members), (q, page)
        assert all(
            m.organisation_id != tree.hue_cell.pk for m in selectors.member_list(officer, MemberFilters(q=q))
        )
    outside = selectors.member_page(officer, MemberFilters(organisation=tree.hue), page=1)
    assert outside.members == [] and outside.count == 0


def test_the_plan_reads_the_rarest_word_or_a_pair(tree: Any, make_member: Any) -> None:
    """Which entries a search reads (the plan's choice changes the speed, never the result)."""
    for n, full_name in enumerate(["Nguyễn Văn An", "Nguyễn Văn Bình", "Nguyễn Thị Lan", "Lê Văn Cường"]):
        make_member(full_name=full_name, citizen_id=f"00108006{n:04d}")
    search_index_rebuild(pair_min_members=2)  # "nguyen" and "van" are paired: both are in 2 names or more
    assert set(NameWord.objects.filter(paired=True).values_list("word", flat=True)) == {"nguyen", "van"}
    assert selectors._plan(["nguyen", "van"]) == ([" nguyen van"], ["nguyen", "van"])
    assert selectors._plan(["nguyen", "lan"]) == (["lan"], ["nguyen"])  # the rarer word
    assert selectors._plan(["qq"]) is None  # begins no word of the registry
    assert search(tree.centre, "nguyen van") == ["Nguyễn Văn An", "Nguyễn Văn Bình"]
    assert search(tree.centre, "van cuong") == ["Lê Văn Cường"]


@pytest.mark.postgres
def test_every_plan_gives_what_a_scan_gives(tree: Any, make_member: Any) -> None:
    """PostgreSQL reads the driver's entries (word, pair, merged prefixes) in index order: the same
    members, count and order as testing every member of the scope."""
    family = ["Nguyễn", "Trần", "Lê", "Phạm"]
    middle = ["Văn", "Thị", "Hữu"]
    given = ["An", "Anh", "Hùng", "Hưng", "Huy", "Thịnh", "Lan"]
    n = 0
    for f in family:
        for m in middle:
            for g in given:
                org = tree.hue_cell if n % 3 == 0 else tree.cell_a
                make_member(org=org, full_name=f"{f} {m} {g}", citizen_id=f"0010800{n:05d}")
                n += 1
    search_index_rebuild(pair_min_members=20)
    everyone = list(
        SearchEntry.objects.filter(word="").values_list("member_id", "sort_key", "words", "committee_id")
    )
    for root in (tree.centre, tree.hanoi, tree.hue):
        for q in [
            "",
            "an",
            "h",
            "hu",
            "nguyen van",
            "le hung",
            "nguyen tran",
            "van thi",
            "thi",
            "van an",
            "t h",
        ]:
            words = q.split()
            expected = sorted(
                (bytes(key), pk)
                for pk, key, text, committee in everyone
                if (root.level == 0 or committee == root.pk)
                and all(any(w.startswith(x) for w in text.split()) for x in words)
            )
            for page in (1, 2):
                hits, count = selectors._member_hits(
                    root, words, MemberFilters(), offset=(page - 1) * 5, limit=5, count=True
                )
                assert [pk for pk, _key in hits] == [
                    pk for _key, pk in expected[(page - 1) * 5 : page * 5]
                ], (root, q, page)
                assert count == len(expected), (root, q)
