"""COSE_Sign1 with ES256 (RFC 9052 §4.2, RFC 9053 §2.1) on cbor2 and cryptography.

The key never comes here: :func:`sign1_create` takes a ``sign`` callable (a key store's ``sign``, which
returns DER ECDSA-SHA256) and writes the signature as COSE wants it, r || s. ``alg`` and ``kid`` go in
the protected header, so both are signed (the EU digital COVID certificate's choice). pycose would do
the same but is ~20× slower and breaks with cbor2 6 (DESIGN.md).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.ecard.errors import CoseError
from partycard.trust.ecdsa import der_to_plain

__all__ = [
    "ALG_ES256",
    "HEADER_ALG",
    "HEADER_KID",
    "Sign1",
    "cbor_loads",
    "cose_key_decode",
    "cose_key_encode",
    "es256_verify",
    "sign1_create",
    "sign1_parse",
    "sign1_verify",
]

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


def cbor_loads(data: bytes, what: str = "CBOR") -> Any:
    """One CBOR item that spans all of ``data``, strictly: no bytes after it (cbor2 alone ignores them),
    no duplicate map keys and no indefinite lengths (RFC 8949 §5.6: a parser differential between two
    verifiers — this one and the browser's — must not be possible), nesting at most 400 deep.

    Raises:
        CoseError: not CBOR, or outside those rules.
    """
    fp = io.BytesIO(data)
    try:
        item = cbor2.load(fp, allow_duplicate_keys=False, allow_indefinite=False)
    except Exception as e:  # cbor2 raises several types (CBORDecodeError, ValueError, …) on bad input
        raise CoseError(f"{what} is not CBOR: {e}") from e
    if fp.tell() != len(data):
        raise CoseError(f"{what} has {len(data) - fp.tell()} bytes after its CBOR item")
    return item


def _bstr_head(length: int) -> bytes:
    """The head of a CBOR byte string of ``length`` bytes, in its shortest form (RFC 8949 §3, §4.2.1)."""
    if length < 24:
        return bytes((0x40 + length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    if length < 0x100000000:
        return b"\x5a" + length.to_bytes(4, "big")
    return b"\x5b" + length.to_bytes(8, "big")


# The Sig_structure's first item: an array of four, then the text "Signature1" (RFC 9052 §4.4).
_SIGNATURE1 = b"\x84\x6aSignature1"


def _to_be_signed_prefix(protected: bytes, external_aad: bytes = b"") -> bytes:
    """The Sig_structure up to the payload: every byte that is the same for one protected header."""
    return b"".join(
        (_SIGNATURE1, _bstr_head(len(protected)), protected, _bstr_head(len(external_aad)), external_aad)
    )


def _to_be_signed(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    """``["Signature1", protected, external_aad, payload]`` in deterministic CBOR (RFC 9052 §4.4, §9),
    written directly (byte for byte what ``cbor2.dumps`` gives, at a third of the cost)."""
    return _to_be_signed_prefix(protected, external_aad) + _bstr_head(len(payload)) + payload


def sign1_create(payload: bytes, *, sign: Callable[[bytes], bytes], kid: bytes) -> bytes:
    """Tagged COSE_Sign1 over ``payload``, signed ES256 by ``sign`` (DER in, converted to r || s)."""
    protected = cbor2.dumps({HEADER_ALG: ALG_ES256, HEADER_KID: kid})
    signature = der_to_plain(sign(_to_be_signed(protected, payload)), 32)
    return cbor2.dumps(cbor2.CBORTag(TAG_SIGN1, [protected, {}, payload, signature]))


_BYTES, _ARRAYS = (bytes, bytearray), (list, tuple)  # tuples: isinstance on a ``X | Y`` union is slower
_MAPS = (dict, cbor2.frozendict)  # what cbor2 decodes a map to, untagged and inside a tag (cbor2 6)
# Every credential of one signer has the same protected header: its decoded map and the Sig_structure's
# bytes before the payload, per distinct header bytes.
_PROTECTED: dict[bytes, tuple[Mapping[Any, Any], bytes]] = {}


def _protected_header(data: bytes) -> tuple[Mapping[Any, Any], bytes]:
    """The protected header decoded, and the Sig_structure's prefix for it (both remembered: a verifier
    sees a handful of distinct headers)."""
    found = _PROTECTED.get(data)
    if found is None:
        decoded = cbor_loads(data, "the protected header") if data else {}
        if type(decoded) not in _MAPS:
            raise CoseError("the protected header is not a map")
        found = MappingProxyType(dict(decoded)), _to_be_signed_prefix(data)
        if len(data) <= 64:  # ours is 15 bytes; hostile input must not fill memory
            if len(_PROTECTED) >= 256:
                _PROTECTED.clear()
            _PROTECTED[data] = found
    return found


def sign1_parse(data: bytes) -> Sign1:
    """Parse a COSE_Sign1 (tagged or untagged) in our profile: ES256, a byte-string payload.

    Raises:
        CoseError: anything else (not CBOR, wrong shape, another algorithm, a detached payload).
    """
    if not isinstance(data, _BYTES) or len(data) > MAX_BYTES:
        raise CoseError("not a COSE_Sign1 of a sane size")
    item = cbor_loads(bytes(data), "the COSE_Sign1")
    if isinstance(item, cbor2.CBORTag):
        if item.tag != TAG_SIGN1:
            raise CoseError(f"CBOR tag {item.tag} is not COSE_Sign1 (18)")
        item = item.value
    # cbor2 6 decodes a tag's content immutably (tuple, frozendict); untagged, as list and dict.
    if not isinstance(item, _ARRAYS) or len(item) != 4:
        raise CoseError("a COSE_Sign1 is an array of four items")
    protected_bytes, unprotected, payload, signature = item
    if type(protected_bytes) is not bytes or type(unprotected) not in _MAPS:
        raise CoseError("malformed COSE headers")
    if type(payload) is not bytes or type(signature) is not bytes:
        raise CoseError("the payload and signature must be byte strings (no detached payload)")
    protected, prefix = _protected_header(protected_bytes)
    if protected.get(HEADER_ALG) != ALG_ES256:
        raise CoseError(f"algorithm {protected.get(HEADER_ALG)!r} is not ES256 (-7)")
    return Sign1(protected, unprotected, payload, signature, prefix + _bstr_head(len(payload)) + payload)


def sign1_verify(message: Sign1, public_key: ec.EllipticCurvePublicKey) -> bool:
    """Whether ``message``'s signature is ``public_key``'s ES256 over its Sig_structure. Never raises."""
    return es256_verify(public_key, message.signature, message.to_be_signed)


def _der_integer(value: bytes) -> bytes:
    # A DER INTEGER's content is the shortest two's complement (X.690 §8.3.2): no leading zero byte
    # unless the next byte's top bit is set; r and s are positive, so a set top bit gets a zero byte.
    value = value.lstrip(b"\x00")
    if not value or value[0] & 0x80:
        value = b"\x00" + value
    return bytes((0x02, len(value))) + value


def _es256_der(signature: bytes) -> bytes:
    """A 64-byte r || s as DER ``Ecdsa-Sig-Value`` (RFC 3279 §2.2.3): ``trust.ecdsa.plain_to_der``'s
    bytes, written directly for P-256's fixed size (each INTEGER ≤ 35 bytes, so one-byte DER lengths),
    at a third of its cost on the verifier's path."""
    r, s = _der_integer(signature[:32]), _der_integer(signature[32:])
    return bytes((0x30, len(r) + len(s))) + r + s


def es256_verify(public_key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` (r || s) is ``public_key``'s ECDSA-SHA256 over ``data``. Never raises."""
    if not isinstance(signature, bytes) or len(signature) != 64:
        return False
    try:
        public_key.verify(_es256_der(signature), data, _ES256)
    except (InvalidSignature, ValueError):
        return False
    return True


# COSE_Key (RFC 9052 §7, RFC 9053 §7.1.1): an EC2 key on P-256, as the cnf claim carries it (RFC 8747).
KEY_KTY, KEY_CRV, KEY_X, KEY_Y = 1, -1, -2, -3
KTY_EC2, CRV_P256 = 2, 1


def cose_key_encode(public_key: ec.EllipticCurvePublicKey) -> dict[int, Any]:
    """A P-256 public key as a COSE_Key map: ``{1: 2 (EC2), -1: 1 (P-256), -2: x, -3: y}``."""
    if not isinstance(public_key.curve, ec.SECP256R1):
        raise CoseError("only P-256 keys are used here")
    numbers = public_key.public_numbers()
    return {
        KEY_KTY: KTY_EC2,
        KEY_CRV: CRV_P256,
        KEY_X: numbers.x.to_bytes(32, "big"),
        KEY_Y: numbers.y.to_bytes(32, "big"),
    }


def cose_key_decode(key: Any) -> ec.EllipticCurvePublicKey:
    """The P-256 public key of a COSE_Key map (EC2, P-256, 32-byte x and y, a point on the curve).

    Raises:
        CoseError: anything else.
    """
    if not isinstance(key, Mapping):
        raise CoseError("a COSE_Key is a map")
    if key.get(KEY_KTY) != KTY_EC2 or key.get(KEY_CRV) != CRV_P256:
        raise CoseError("the COSE_Key is not an EC2 key on P-256")
    x, y = key.get(KEY_X), key.get(KEY_Y)
    if not isinstance(x, bytes) or not isinstance(y, bytes) or len(x) != 32 or len(y) != 32:
        raise CoseError("the COSE_Key's x and y must be 32-byte strings")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    except ValueError as e:  # not a point on the curve
        raise CoseError(f"the COSE_Key is not a P-256 point: {e}") from e
