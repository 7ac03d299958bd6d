"""Distribution: produced cards down the tree into the member's hand (shipments with receipts and
incidents, the card issuance register, the hand-over at the cell's meeting, the old card's destruction)."""
