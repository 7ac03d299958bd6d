from partycard.exchange.models.campaign import Campaign, IssuedCardNumber
from partycard.exchange.models.case import Case, CaseEvent, Eligibility

__all__ = ["Campaign", "Case", "CaseEvent", "Eligibility", "IssuedCardNumber"]
