from partycard.review.models.review import ReviewExport, ReviewImport

__all__ = ["ReviewExport", "ReviewImport"]
