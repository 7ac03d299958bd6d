from partycard.losses.models.recovery import CardRecovery
from partycard.losses.models.report import LossEvent, LossPhoto, LossReport

__all__ = ["CardRecovery", "LossEvent", "LossPhoto", "LossReport"]
