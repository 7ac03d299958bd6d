"""The partysync app's models: a run, its staged rows, and each member's baseline."""

from .run import SyncBaseline, SyncRow, SyncRun

__all__ = ["SyncBaseline", "SyncRow", "SyncRun"]
