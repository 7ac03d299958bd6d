"""Errors of the e-card library: one root, :class:`ECardError`, and flat subclasses named after what failed.

Parsers raise these (never a foreign error); verifiers turn them into verdict reasons (STYLE rule 9).
"""

from __future__ import annotations

__all__ = [
    "Base45Error",
    "CoseError",
    "CwtError",
    "ECardError",
    "JwsError",
    "SdJwtError",
    "StatusListError",
    "StatusListNotYetValid",
    "StatusListRollback",
    "StatusListSignatureInvalid",
    "StatusListSignerUnknown",
    "StatusListWrongSubject",
]


class ECardError(Exception):
    """Root of every error raised by ``partycard.ecard``."""


class Base45Error(ECardError, ValueError):
    """Text that is not Base45 (RFC 9285): a character outside the alphabet, a bad length, a value > 65535."""


class CoseError(ECardError, ValueError):
    """Bytes that are not a COSE_Sign1 in our profile (CBOR structure, headers, algorithm)."""


class CwtError(ECardError, ValueError):
    """A CWT claims set that is malformed or misses a claim the party card needs."""


class JwsError(ECardError, ValueError):
    """A compact JWS that is malformed or outside our profile (ES256 only, no ``crit``)."""


class SdJwtError(ECardError, ValueError):
    """An SD-JWT, a disclosure or a key-binding JWT that is malformed."""


class StatusListError(ECardError, ValueError):
    """A status list token that is malformed, or an index outside its list."""


class StatusListSignerUnknown(StatusListError):
    """No document signer on the trust list has the status list token's kid (or it names none)."""


class StatusListSignatureInvalid(StatusListError):
    """No document signer with the token's kid made its signature: a tampered or forged list."""


class StatusListWrongSubject(StatusListError):
    """The token's subject is not the status list URI the credential points to."""


class StatusListNotYetValid(StatusListError):
    """The token was issued after the verifier's clock (beyond the allowed skew)."""


class StatusListRollback(StatusListError):
    """A status list older than the one a verifier holds for the same URI (a replayed list)."""
