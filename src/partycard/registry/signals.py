"""Signals of the registry, so that apps above it (the exchange) follow member changes without the
registry importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the writer's transaction after members were created or changed, with ``member_ids`` (a list)
# and ``actor``. Receivers write in the same transaction: their work commits or rolls back with the change.
members_changed = Signal()
