from partycard.production.models.batch import Batch, BatchCard, LayoutApproval, ManufacturerFile

__all__ = ["Batch", "BatchCard", "LayoutApproval", "ManufacturerFile"]
