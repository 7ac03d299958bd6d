from partycard.meetings.models.meeting import Attendance, Excuse, Meeting, MonthClose

__all__ = ["Attendance", "Excuse", "Meeting", "MonthClose"]
