from partycard.distribution.models.documents import DestroyedCard, DestructionRecord, IssuanceRegister
from partycard.distribution.models.handover import HandOver, Meeting
from partycard.distribution.models.shipment import Shipment, ShipmentCard, ShipmentIncident

__all__ = [
    "DestroyedCard",
    "DestructionRecord",
    "HandOver",
    "IssuanceRegister",
    "Meeting",
    "Shipment",
    "ShipmentCard",
    "ShipmentIncident",
]
