from partycard.exchange.models.campaign import Campaign, IssuedCardNumber
from partycard.exchange.models.case import Case, CaseEvent, Eligibility
from partycard.exchange.models.chip_image import ChipImageRecord, chip_files_decode, chip_files_encode

__all__ = [
    "Campaign",
    "Case",
    "CaseEvent",
    "ChipImageRecord",
    "Eligibility",
    "IssuedCardNumber",
    "chip_files_decode",
    "chip_files_encode",
]
