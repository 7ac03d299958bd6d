"""API models, one module per sub-domain."""

from .token import ApiToken

__all__ = ["ApiToken"]
