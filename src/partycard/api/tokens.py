"""API token format and hashing: ``pc_`` + 32 random bytes (base64url); only the SHA-256 is stored.

SHA-256 without a slow KDF is right here: a slow hash (Argon2, PBKDF2) protects *low-entropy* secrets
such as passwords from guessing after a database leak. A token carries 256 bits from ``secrets``, so
guessing it from its hash is infeasible at any hash speed, while a fast, unsalted, deterministic hash lets
the bearer check be one indexed lookup per request. The lookup compares hashes, not the token, so its
timing says nothing about the secret (the same argument as GitHub's and Django REST Knox's token stores).
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["PREFIX_LENGTH", "TOKEN_PREFIX", "display_prefix", "key_hash", "new_token"]

# A recognisable prefix lets secret scanners and people spot a leaked partycard token.
TOKEN_PREFIX = "pc_"  # noqa: S105 - a public marker, not a secret
# What lists show of a token: the marker and 8 random characters (48 of its 256 bits).
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8


def new_token() -> str:
    """A fresh plaintext token: shown once to its owner, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def key_hash(token: str) -> str:
    """The SHA-256 hex digest stored and looked up for ``token``."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters of ``token``, enough to tell one's tokens apart in a list."""
    return token[:PREFIX_LENGTH]
