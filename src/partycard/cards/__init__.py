"""The party card as a record of its own: number, member, state and history, status-list entry."""
