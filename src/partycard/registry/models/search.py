"""The member list's index: a row per member and word of its name (and pair of its common words), plus
one per member with no word.

A search reads the rows of one word in list order (``sort_key``, given name first) inside one committee
directly under the Centre (``committee``: the subtree key), so that a page of any query at any scope is a
short index range, never a sort of every match (docs/registry.md, "Search"). The rows copy what the list
filters on (status, gender, date of birth) so that those ranges are read from the index alone.

Derived data: written only by ``registry.search_index`` (the member services, the import, the seed and the
migration call it), never edited; a member's rows go with it.
"""

from __future__ import annotations

from django.db import models

__all__ = ["NameWord", "SearchEntry"]


class SearchEntry(models.Model):
    pk = models.CompositePrimaryKey("member_id", "word")
    # No database constraint: the rows are written in bulk (22 M at 5.6 M members) and go with the member
    # through the ORM's cascade; members are not deleted otherwise.
    member = models.ForeignKey(
        "registry.Member", on_delete=models.CASCADE, db_constraint=False, related_name="+", db_index=False
    )
    # A folded word of the full name (``names.name_words``); a pair of paired words (" a b",
    # ``search_index.pair_term``); or "" on the member's own row, which lists it whatever the query (the
    # plain list, and the words too short to lead a search).
    word = models.CharField(max_length=81, blank=True)
    # The committee directly under the Centre whose subtree holds the member's cell (or the Centre itself
    # for a cell directly under it, which the tree rules do not allow).
    committee = models.ForeignKey(
        "registry.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    organisation = models.ForeignKey(  # the member's cell
        "registry.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    sort_key = models.BinaryField(max_length=255)  # names.name_sort_key(full_name)
    words = models.CharField(max_length=200)  # " ".join(names.name_words(full_name)): the other words' test
    status = models.CharField(max_length=20)
    gender = models.CharField(max_length=1)
    date_of_birth = models.DateField()

    class Meta:
        verbose_name = "member search entry"
        # PostgreSQL (migration 0008 creates the table partitioned by committee): covering indexes, so that a
        # page is an index-only range; SQLite gets the same indexes without the INCLUDE columns.
        indexes = [
            models.Index(
                fields=["word", "sort_key", "member"],
                include=["words", "status", "gender", "date_of_birth", "committee"],
                name="registry_search_word",
            ),
            models.Index(
                fields=["organisation", "sort_key", "member"],
                include=["words", "status", "gender", "date_of_birth"],
                condition=models.Q(word=""),
                name="registry_search_cell",
            ),
            models.Index(fields=["member"], name="registry_search_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.word or '*'}"


class NameWord(models.Model):
    """Every entry word of the registry (a word of a member's name, or a pair " a b" of paired words), so
    that a prefix of a word ("hu") can be expanded to the words it begins ("hung", "huong", "huy"…)
    through one small index. ``members`` is how many members' names hold it as of the last rebuild: an
    estimate the search uses to pick its plan. ``paired``: its members have pair entries
    (``search_index.PAIR_MIN_MEMBERS``); set by a rebuild only."""

    word = models.CharField(max_length=81, primary_key=True)
    members = models.PositiveIntegerField(default=0)
    paired = models.BooleanField(default=False)

    class Meta:
        verbose_name = "name word"

    def __str__(self) -> str:
        return self.word
