from partycard.reports.models.tally import Tally, TallyDay

__all__ = ["Tally", "TallyDay"]
