"""The device-bound rotating QR: the credential plus a proof, renewed every 30 s, that the phone holds
the key the credential's ``cnf`` claim binds (RFC 8747), so that a screenshot stops working offline.

The proof is the device key's ES256 signature (r || s) over the CBOR array
``["PC1R-proof", window, SHA-256(credential)]``, where ``window = floor(unix time / 30)``; the context
string keeps the device key's other signatures (e.g. an SD-JWT key-binding JWT) from passing as one.
A verifier accepts the current window ± 1 (clock skew of up to 30 s either way; a proof lives 60–90 s).

Threat model (docs/ecard.md): it defeats replaying a screenshot or photo after its window and sharing a
static image of someone else's card; it does not defeat a holder who relays live proofs from the real
phone to a colluder, nor a compromised phone (the device key is as strong as the phone's keystore).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.ecard.cose import es256_verify
from partycard.ecard.qr import ROTATING_PREFIX, qr_wrap
from partycard.trust.ecdsa import der_to_plain

__all__ = [
    "PROOF_CONTEXT",
    "SKEW_WINDOWS",
    "WINDOW_SECONDS",
    "device_proof_message",
    "device_proof_verify",
    "device_qr",
    "window_at",
]

WINDOW_SECONDS = 30
SKEW_WINDOWS = 1  # the verifier accepts the current window ± this many
PROOF_CONTEXT = "PC1R-proof"


def window_at(moment: datetime) -> int:
    """The 30-second window number of ``moment`` (timezone-aware): floor(unix seconds / 30)."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return int(moment.timestamp()) // WINDOW_SECONDS


def device_proof_message(window: int, credential: bytes) -> bytes:
    """The bytes the device signs for ``window``: CBOR ``["PC1R-proof", window, SHA-256(credential)]``."""
    return cbor2.dumps([PROOF_CONTEXT, window, hashlib.sha256(credential).digest()])


def device_qr(credential: bytes, *, sign: Callable[[bytes], bytes], at: datetime) -> str:
    """The rotating QR the phone shows at ``at``: ``"PC1R:" + Base45(zlib(CBOR [credential, window, proof]))``

    Args:
        credential: the signed credential (COSE_Sign1 bytes) whose cnf key is the device's.
        sign: the device key's ECDSA-SHA256 signer, returning DER (a key store's ``sign``).
        at: the phone's clock.
    """
    window = window_at(at)
    proof = der_to_plain(sign(device_proof_message(window, credential)), 32)
    return qr_wrap(ROTATING_PREFIX, cbor2.dumps([credential, window, proof]))


def device_proof_verify(key: ec.EllipticCurvePublicKey, credential: bytes, window: int, proof: bytes) -> bool:
    """Whether ``proof`` is ``key``'s signature for ``window`` over ``credential``. Never raises.

    The window's freshness is the caller's to judge (against its own clock, ± :data:`SKEW_WINDOWS`).
    """
    return es256_verify(key, proof, device_proof_message(window, credential))
