from partycard.population.models.task import DataTask, TaskReason, TaskStatus

__all__ = ["DataTask", "TaskReason", "TaskStatus"]
