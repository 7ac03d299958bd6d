"""The jobs tests run exchange jobs: they share the exchange tests' campaign and officers."""

from tests.exchange.conftest import campaign, officers

__all__ = ["campaign", "officers"]
