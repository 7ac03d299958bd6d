"""Lost or damaged party cards: the member's report, the card suspended at once, the forms 2-TDV, 3-TDV,
2A-TDV, 3A-TDV and 4-TDV at their levels, the committee's decision and the reissue."""
