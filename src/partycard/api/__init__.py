"""The REST API (Django Ninja, OpenAPI) under /api/v1, its bearer tokens and their rate limit.

Scoped exactly like the web UI: every route reads and writes through ``objects.scoped(actor, action)``.
"""
