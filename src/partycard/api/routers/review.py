"""Routes of the review app (issue 17); the same scope rules as its pages."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["review"])
