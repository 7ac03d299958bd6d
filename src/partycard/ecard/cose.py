"""COSE_Sign1 with ES256 (RFC 9052 §4.2, RFC 9053 §2.1) on cbor2 and cryptography.

The key never comes here: :func:`sign1_create` takes a ``sign`` callable (a key store's ``sign``, which
returns DER ECDSA-SHA256) and writes the signature as COSE wants it, r || s. ``alg`` and ``kid`` go in
the protected header, so both are signed (the EU digital COVID certificate's choice). pycose would do
the same but is ~20× slower and breaks with cbor2 6 (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.ecard.errors import CoseError
from partycard.trust.ecdsa import der_to_plain, plain_to_der

__all__ = ["ALG_ES256", "HEADER_ALG", "HEADER_KID", "Sign1", "sign1_create", "sign1_parse", "sign1_verify"]

TAG_SIGN1 = 18
HEADER_ALG = 1
HEADER_KID = 4
ALG_ES256 = -7
_ES256 = ec.ECDSA(hashes.SHA256())
MAX_BYTES = 64 * 1024  # a QR code holds < 3 KB; anything this large is not ours


@dataclass(frozen=True, slots=True)
class Sign1:
    """A parsed COSE_Sign1; ``to_be_signed`` is the Sig_structure the signature covers."""

    protected: Mapping[int, Any]
    unprotected: Mapping[Any, Any]
    payload: bytes
    signature: bytes
    to_be_signed: bytes

    @property
    def kid(self) -> bytes | None:
        """The kid, protected header first (where we put it), else unprotected."""
        kid = self.protected.get(HEADER_KID, self.unprotected.get(HEADER_KID))
        return kid if isinstance(kid, bytes) else None


def _to_be_signed(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    return cbor2.dumps(["Signature1", protected, external_aad, payload])


def sign1_create(payload: bytes, *, sign: Callable[[bytes], bytes], kid: bytes) -> bytes:
    """Tagged COSE_Sign1 over ``payload``, signed ES256 by ``sign`` (DER in, converted to r || s)."""
    protected = cbor2.dumps({HEADER_ALG: ALG_ES256, HEADER_KID: kid})
    signature = der_to_plain(sign(_to_be_signed(protected, payload)), 32)
    return cbor2.dumps(cbor2.CBORTag(TAG_SIGN1, [protected, {}, payload, signature]))


def sign1_parse(data: bytes) -> Sign1:
    """Parse a COSE_Sign1 (tagged or untagged) in our profile: ES256, a byte-string payload.

    Raises:
        CoseError: anything else (not CBOR, wrong shape, another algorithm, a detached payload).
    """
    if not isinstance(data, bytes | bytearray) or len(data) > MAX_BYTES:
        raise CoseError("not a COSE_Sign1 of a sane size")
    try:
        item = cbor2.loads(data)
    except Exception as e:  # cbor2 raises several types (CBORDecodeError, ValueError, …) on bad input
        raise CoseError(f"not CBOR: {e}") from e
    if isinstance(item, cbor2.CBORTag):
        if item.tag != TAG_SIGN1:
            raise CoseError(f"CBOR tag {item.tag} is not COSE_Sign1 (18)")
        item = item.value
    # cbor2 6 decodes a tag's content immutably (tuple, frozendict); untagged, as list and dict.
    if not isinstance(item, list | tuple) or len(item) != 4:
        raise CoseError("a COSE_Sign1 is an array of four items")
    protected_bytes, unprotected, payload, signature = item
    if not isinstance(protected_bytes, bytes) or not isinstance(unprotected, Mapping):
        raise CoseError("malformed COSE headers")
    if not isinstance(payload, bytes) or not isinstance(signature, bytes):
        raise CoseError("the payload and signature must be byte strings (no detached payload)")
    try:
        protected = cbor2.loads(protected_bytes) if protected_bytes else {}
    except Exception as e:
        raise CoseError(f"the protected header is not CBOR: {e}") from e
    if not isinstance(protected, Mapping):
        raise CoseError("the protected header is not a map")
    if protected.get(HEADER_ALG) != ALG_ES256:
        raise CoseError(f"algorithm {protected.get(HEADER_ALG)!r} is not ES256 (-7)")
    return Sign1(protected, unprotected, payload, signature, _to_be_signed(protected_bytes, payload))


def sign1_verify(message: Sign1, public_key: ec.EllipticCurvePublicKey) -> bool:
    """Whether ``message``'s signature is ``public_key``'s ES256 over its Sig_structure. Never raises."""
    if len(message.signature) != 64:
        return False
    try:
        public_key.verify(plain_to_der(message.signature), message.to_be_signed, _ES256)
    except (InvalidSignature, ValueError):
        return False
    return True
