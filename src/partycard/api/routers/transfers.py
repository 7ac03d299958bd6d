"""Routes of transfers of party activity (issue 16); the same scope rules as the pages."""

from __future__ import annotations

from ninja import Router

__all__ = ["router"]

router = Router(tags=["transfers"])
