"""Cell meetings (regular, and the political study session on the new card) and the members' check-in by
e-card or chip card, offline on the secretary's phone and synchronised later; attendance up the tree."""
