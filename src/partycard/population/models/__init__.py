from partycard.population.models.run import REASON_FIELDS, CheckResult, CheckRun, CheckTally, Outcome
from partycard.population.models.task import DataTask, TaskReason, TaskStatus

__all__ = [
    "REASON_FIELDS",
    "CheckResult",
    "CheckRun",
    "CheckTally",
    "DataTask",
    "Outcome",
    "TaskReason",
    "TaskStatus",
]
