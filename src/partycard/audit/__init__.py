"""The hash-chained audit log: every write appends one row in the writer's own transaction."""
