from partycard.dues.models.payment import MonthClose, Payment

__all__ = ["MonthClose", "Payment"]
