from partycard.transfers.models.transfer import LetterCounter, Transfer, TransferEvent

__all__ = ["LetterCounter", "Transfer", "TransferEvent"]
