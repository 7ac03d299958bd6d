"""Token format and hashing: random, recognisable, and stored only as a SHA-256."""

from __future__ import annotations

import hashlib

from partycard.api import tokens


def test_tokens_are_random_prefixed_and_long() -> None:
    a, b = tokens.new_token(), tokens.new_token()
    assert a != b and a.startswith("pc_") and len(a) == len("pc_") + 43  # 32 bytes, base64url


def test_hash_is_sha256_hex_and_prefix_is_short() -> None:
    token = tokens.new_token()
    assert tokens.key_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert tokens.display_prefix(token) == token[:11]
