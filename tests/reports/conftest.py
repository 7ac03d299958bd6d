"""Fixtures of the report tests: the exchange's campaign and officers (tests/exchange/conftest.py)."""

from __future__ import annotations

from tests.exchange.conftest import Officers, campaign, card_holder, officers

__all__ = ["Officers", "campaign", "card_holder", "officers"]
