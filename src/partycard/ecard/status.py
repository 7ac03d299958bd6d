"""Revocation for the e-card: the IETF Token Status List (draft-ietf-oauth-status-list).

Each credential carries an index into its signer's status list; the list is a bitstring of ``bits``
bits per credential (1, 2, 4 or 8), zlib-compressed (RFC 1950), signed as a JWT (``typ``
``statuslist+jwt``) or a CWT, and published at a stable URI with a time-to-live. Status values: 0 valid,
1 invalid (revoked: lost, expelled, removed, deceased), 2 suspended.

This module packs, flips, compresses, signs and parses the list (unverified: which signer may sign a
status list is ``partycard.verify.status``'s question). Section numbers are those of the draft's editor's
copy after -16 (§4.1 the byte array, §4.2/§4.3 JSON/CBOR, §5.1/§5.2 the JWT/CWT token). Pure: no Django,
no I/O.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from partycard.ecard.errors import StatusListError
from partycard.ecard.jws import b64url, b64url_decode, jws_sign
from partycard.ecard.keys import kid_of
from partycard.trust.ecdsa import der_to_plain, plain_to_der
from partycard.trust.keystore import KeyStore

__all__ = [
    "CWT_EXP",
    "CWT_IAT",
    "CWT_STATUS_LIST",
    "CWT_SUB",
    "CWT_TTL",
    "CWT_TYP",
    "HEADER_TYP",
    "JWT_TYP",
    "MAX_LIST_BYTES",
    "MAX_TOKEN_BYTES",
    "STATUS_INVALID",
    "STATUS_SUSPENDED",
    "STATUS_VALID",
    "StatusList",
    "StatusListToken",
    "status_list_compress",
    "status_list_cwt_parse",
    "status_list_cwt_sign",
    "status_list_decompress",
    "status_list_encode",
    "status_list_get",
    "status_list_jwt_parse",
    "status_list_jwt_sign",
    "status_list_pack",
    "status_list_set",
]

STATUS_VALID = 0x00
STATUS_INVALID = 0x01
STATUS_SUSPENDED = 0x02
_BITS = (1, 2, 4, 8)

#: §5.1: the JWT header ``typ``; §5.2: the CWT's protected header 16 (RFC 9596) ``typ``.
JWT_TYP = "statuslist+jwt"
CWT_TYP = "application/statuslist+cwt"
HEADER_TYP = 16
#: §5.2: CWT claim keys (RFC 8392 §3.1.2/§3.1.4/§3.1.6; the draft's own registrations 65534 and 65533).
CWT_SUB = 2
CWT_EXP = 4
CWT_IAT = 6
CWT_TTL = 65534
CWT_STATUS_LIST = 65533

#: A signed list larger than this is refused unread; 5.6 M cards with 1 % revoked take ~120 KB.
MAX_TOKEN_BYTES = 4 * 1024 * 1024
#: The decompressed bitstring's bound (a zlib bomb stops here): 64 M entries at 2 bits.
MAX_LIST_BYTES = 16 * 1024 * 1024

_COSE_ALG, _COSE_CRIT, _COSE_KID, _ES256_ID, _TAG_SIGN1 = 1, 2, 4, -7, 18
_ES256 = ec.ECDSA(hashes.SHA256())


@dataclass(frozen=True, slots=True)
class StatusList:
    """A verified, decompressed status list.

    ``statuses`` is the raw bitstring: the status of index *i* is in byte ``i * bits // 8``, starting at
    its least significant bit (the draft's ordering). ``expires_at`` and ``ttl`` say when a verifier must
    fetch it again; past either, a verifier still reads it but says its answer may be stale.
    """

    uri: str
    bits: int
    statuses: bytes
    issued_at: datetime
    expires_at: datetime | None = None
    ttl: timedelta | None = None

    def __post_init__(self) -> None:
        if self.bits not in _BITS:
            raise StatusListError(f"bits must be one of {_BITS}, not {self.bits}")

    def __len__(self) -> int:
        return len(self.statuses) * 8 // self.bits

    def status(self, index: int) -> int:
        """The status at ``index``.

        Raises:
            StatusListError: ``index`` is negative or beyond the list.
        """
        if not 0 <= index < len(self):
            raise StatusListError(f"index {index} is outside the status list of {len(self)} entries")
        return status_list_get(self.statuses, index, self.bits)

    def stale(self, now: datetime) -> bool:
        """Whether ``now`` is past the list's expiry or its time-to-live after issue."""
        if self.expires_at is not None and now > self.expires_at:
            return True
        return self.ttl is not None and now > self.issued_at + self.ttl


# --- the byte array (§4.1) ----------------------------------------------------------------------------


def _check_bits(bits: int) -> None:
    if bits not in _BITS:
        raise StatusListError(f"bits must be one of {_BITS}, not {bits!r}")


def status_list_pack(values: bytes | bytearray, bits: int) -> bytearray:
    """Pack one status per byte of ``values`` (index order) into the §4.1 byte array, ``bits`` per entry.

    Index *i* takes bits ``i * bits`` … of the array, least significant bit first within a byte; the last
    byte is padded with 0 (valid). Linear in C: each of the ``8 // bits`` interleaved slices is read as
    one little-endian integer and shifted into place (values < 2**bits cannot carry into the next byte).

    Raises:
        StatusListError: ``bits`` not 1, 2, 4 or 8, or a value that does not fit in ``bits``.
    """
    _check_bits(bits)
    if bits < 8 and bytes(values).translate(None, bytes(range(1 << bits))):
        raise StatusListError(f"a status value does not fit in {bits} bits")
    per_byte = 8 // bits
    size = -(-len(values) // per_byte)
    packed = 0
    for slot in range(per_byte):
        packed |= int.from_bytes(values[slot::per_byte], "little") << (slot * bits)
    return bytearray(packed.to_bytes(size, "little"))


def status_list_get(packed: bytes | bytearray, index: int, bits: int) -> int:
    """Entry ``index`` of the packed array (the reverse of :func:`status_list_set`).

    Raises:
        StatusListError: bad ``bits``, or ``index`` outside the array.
    """
    _check_bits(bits)
    if not 0 <= index < len(packed) * 8 // bits:
        raise StatusListError(
            f"index {index} is outside the packed list of {len(packed) * 8 // bits} entries"
        )
    position = index * bits
    return (packed[position // 8] >> (position % 8)) & ((1 << bits) - 1)


def status_list_set(packed: bytearray, index: int, value: int, bits: int) -> None:
    """Set entry ``index`` of the packed array to ``value`` in place (what revoking one card does).

    Raises:
        StatusListError: bad ``bits``, ``value`` not in ``0 .. 2**bits - 1``, or ``index`` outside the array.
    """
    _check_bits(bits)
    if not 0 <= value < 1 << bits:
        raise StatusListError(f"status {value!r} does not fit in {bits} bits")
    if not 0 <= index < len(packed) * 8 // bits:
        raise StatusListError(
            f"index {index} is outside the packed list of {len(packed) * 8 // bits} entries"
        )
    position = index * bits
    shift = position % 8
    mask = ((1 << bits) - 1) << shift
    packed[position // 8] = (packed[position // 8] & ~mask) | (value << shift)


def status_list_compress(packed: bytes | bytearray) -> bytes:
    """DEFLATE in the ZLIB format at the highest level (§4.1 step 4 recommends it)."""
    return zlib.compress(bytes(packed), 9)


def status_list_encode(values: bytes | bytearray, bits: int) -> bytes:
    """One status per byte of ``values`` → the compressed byte array (``lst`` before base64url)."""
    return status_list_compress(status_list_pack(values, bits))


def status_list_decompress(lst: bytes, max_bytes: int = MAX_LIST_BYTES) -> bytes:
    """Inflate a ZLIB stream: whole (no truncation, nothing after it) and at most ``max_bytes``.

    Raises:
        StatusListError: not a complete ZLIB stream, bytes after it, or larger than ``max_bytes``.
    """
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(lst, max_bytes + 1)
    except zlib.error as e:
        raise StatusListError(f"lst is not ZLIB/DEFLATE data: {e}") from e
    if len(data) > max_bytes or inflater.unconsumed_tail:
        raise StatusListError(f"the status list inflates beyond {max_bytes} bytes")
    if not inflater.eof:
        raise StatusListError("the status list's ZLIB stream is truncated")
    if inflater.unused_data:
        raise StatusListError("bytes follow the status list's ZLIB stream")
    return data


# --- signing (§5.1, §5.2) -----------------------------------------------------------------------------


def _numeric_date(moment: datetime, what: str) -> int:
    if moment.tzinfo is None:
        raise StatusListError(f"{what} must be timezone-aware")
    return int(moment.timestamp())


def _token_claims(
    *,
    uri: str,
    bits: int,
    issued_at: datetime,
    expires_at: datetime | None,
    ttl: timedelta | None,
) -> tuple[int, int | None, int | None]:
    _check_bits(bits)
    if not isinstance(uri, str) or not uri:
        raise StatusListError("the status list needs its URI (sub)")
    iat = _numeric_date(issued_at, "issued_at")
    exp = None if expires_at is None else _numeric_date(expires_at, "expires_at")
    if exp is not None and exp <= iat:
        raise StatusListError("expires_at must be after issued_at")
    seconds = None if ttl is None else int(ttl.total_seconds())
    if seconds is not None and seconds <= 0:
        raise StatusListError("ttl must be a positive number of seconds")
    return iat, exp, seconds


def _signer(store: KeyStore, label: str, cert: x509.Certificate) -> Callable[[bytes], bytes]:
    # A label holding another key would give tokens no verifier accepts: refuse at signing instead.
    spki = Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    if store.public_key(label).public_bytes(*spki) != cert.public_key().public_bytes(*spki):
        raise StatusListError(f"key {label!r} is not the key of the signer certificate")
    return lambda data: store.sign(label, data)


def status_list_jwt_sign(
    store: KeyStore,
    label: str,
    cert: x509.Certificate,
    *,
    uri: str,
    packed: bytes | bytearray,
    bits: int,
    issued_at: datetime,
    expires_at: datetime | None,
    ttl: timedelta | None,
) -> str:
    """The status list as a compact JWS (§5.1): header ``{alg: ES256, typ: statuslist+jwt, kid}``, claims
    ``sub`` (the list's URI), ``iat``, ``exp``, ``ttl`` and ``status_list {bits, lst}``; signed by the
    document signer's key ``label`` in ``store``. ``kid`` is base64url of
    :func:`~partycard.ecard.keys.kid_of` (as the SD-JWT's).

    Raises:
        StatusListError: bad parameters, or ``label`` does not hold ``cert``'s key.
    """
    iat, exp, seconds = _token_claims(uri=uri, bits=bits, issued_at=issued_at, expires_at=expires_at, ttl=ttl)
    claims: dict[str, Any] = {"sub": uri, "iat": iat}
    if exp is not None:
        claims["exp"] = exp
    if seconds is not None:
        claims["ttl"] = seconds
    claims["status_list"] = {"bits": bits, "lst": b64url(status_list_compress(packed))}
    header = {"typ": JWT_TYP, "kid": b64url(kid_of(cert))}
    return jws_sign(header, claims, sign=_signer(store, label, cert))


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])  # RFC 9052 §4.4, no external AAD


def status_list_cwt_sign(
    store: KeyStore,
    label: str,
    cert: x509.Certificate,
    *,
    uri: str,
    packed: bytes | bytearray,
    bits: int,
    issued_at: datetime,
    expires_at: datetime | None,
    ttl: timedelta | None,
) -> bytes:
    """The status list as a CWT (§5.2): a tagged COSE_Sign1 (18, not the CWT tag 61), protected header
    ``{1: -7 (ES256), 4: kid, 16: "application/statuslist+cwt"}``, claims ``{2: uri, 6: iat, 4: exp,
    65534: ttl, 65533: {"bits": bits, "lst": compressed}}`` (the StatusList map keeps its text keys, §4.3).

    Raises:
        StatusListError: bad parameters, or ``label`` does not hold ``cert``'s key.
    """
    iat, exp, seconds = _token_claims(uri=uri, bits=bits, issued_at=issued_at, expires_at=expires_at, ttl=ttl)
    claims: dict[int, Any] = {CWT_SUB: uri, CWT_IAT: iat}
    if exp is not None:
        claims[CWT_EXP] = exp
    if seconds is not None:
        claims[CWT_TTL] = seconds
    claims[CWT_STATUS_LIST] = {"bits": bits, "lst": status_list_compress(packed)}
    payload = cbor2.dumps(claims)
    protected = cbor2.dumps({_COSE_ALG: _ES256_ID, _COSE_KID: kid_of(cert), HEADER_TYP: CWT_TYP})
    signature = der_to_plain(_signer(store, label, cert)(_sig_structure(protected, payload)), 32)
    return cbor2.dumps(cbor2.CBORTag(_TAG_SIGN1, [protected, {}, payload, signature]))


# --- parsing (unverified) -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusListToken:
    """A parsed, not yet verified, status list token: what it says, who it says signed it (``kid``,
    None if it names none we could read), and the bytes its ES256 signature (r || s) covers."""

    status_list: StatusList
    kid: bytes | None
    signed_data: bytes
    signature: bytes

    def verified_by(self, public_key: object) -> bool:
        """Whether ``public_key`` (a certificate's key) made the signature. Never raises."""
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or len(self.signature) != 64:
            return False
        try:
            public_key.verify(plain_to_der(self.signature), self.signed_data, _ES256)
        except (InvalidSignature, ValueError):
            return False
        return True


def _integer(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StatusListError(f"{what} must be an integer")
    return value


def _moment(value: Any, what: str) -> datetime:
    try:
        return datetime.fromtimestamp(_integer(value, what), UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise StatusListError(f"{what} is out of range") from e


def _status_list_of(
    *, sub: Any, iat: Any, exp: Any, ttl: Any, status_list: Any, lst_of: Callable[[Any], bytes]
) -> StatusList:
    if not isinstance(sub, str) or not sub:
        raise StatusListError("the status list token has no subject (its URI)")
    issued_at = _moment(iat, "iat")
    expires_at = None if exp is None else _moment(exp, "exp")
    if expires_at is not None and expires_at <= issued_at:
        raise StatusListError("exp is not after iat")
    seconds = None if ttl is None else _integer(ttl, "ttl")
    if seconds is not None and not 0 < seconds <= 10 * 365 * 86400:
        raise StatusListError("ttl must be a positive number of seconds (at most ten years)")
    if not isinstance(status_list, Mapping):
        raise StatusListError("status_list must be an object/map")
    bits = status_list.get("bits")
    if isinstance(bits, bool) or bits not in _BITS:
        raise StatusListError(f"bits must be one of {_BITS}")
    return StatusList(
        uri=sub,
        bits=bits,
        statuses=status_list_decompress(lst_of(status_list.get("lst"))),
        issued_at=issued_at,
        expires_at=expires_at,
        ttl=None if seconds is None else timedelta(seconds=seconds),
    )


def _b64url_lst(value: Any) -> bytes:
    if not isinstance(value, str):
        raise StatusListError("lst must be a base64url string")
    try:
        return b64url_decode(value)
    except ValueError as e:  # JwsError is one
        raise StatusListError(f"lst is not base64url: {e}") from e


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise StatusListError(f"the {what} is not JSON: {e}") from e
    if not isinstance(value, dict):
        raise StatusListError(f"the {what} is not a JSON object")
    return value


def status_list_jwt_parse(token: str) -> StatusListToken:
    """Parse a status list JWT (§5.1) without verifying it: ES256, ``typ`` ``statuslist+jwt``, no
    ``crit``, the claims and the inflated list. ``kid`` is None unless it is canonical base64url.

    Raises:
        StatusListError: anything else, including a token over :data:`MAX_TOKEN_BYTES`.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES:
        raise StatusListError("not a status list JWT of a sane size")
    parts = token.split(".")
    if len(parts) != 3:
        raise StatusListError("a compact JWS has three parts")
    try:
        header_raw, payload, signature = (b64url_decode(p) for p in parts)
    except ValueError as e:
        raise StatusListError(f"not base64url: {e}") from e
    header = _json_object(header_raw, "JWT header")
    if header.get("alg") != "ES256":
        raise StatusListError(f"algorithm {header.get('alg')!r} is not ES256")
    if "crit" in header:
        raise StatusListError("critical header parameters are not supported")
    if header.get("typ") != JWT_TYP:
        raise StatusListError(f"typ {header.get('typ')!r} is not {JWT_TYP!r}")
    claims = _json_object(payload, "JWT claims set")
    status_list = _status_list_of(
        sub=claims.get("sub"),
        iat=claims.get("iat"),
        exp=claims.get("exp"),
        ttl=claims.get("ttl"),
        status_list=claims.get("status_list"),
        lst_of=_b64url_lst,
    )
    kid: bytes | None = None
    if isinstance(header.get("kid"), str):
        try:
            kid = b64url_decode(header["kid"])
        except ValueError:
            kid = None  # a kid that is not ours: no signer will match
    return StatusListToken(status_list, kid, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def _cbor(data: bytes, what: str) -> Any:
    fp = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(fp).decode()
    except Exception as e:  # cbor2 raises several types (CBORDecodeError, ValueError, …) on bad input
        raise StatusListError(f"the {what} is not CBOR: {e}") from e
    if fp.tell() != len(data):
        raise StatusListError(f"bytes follow the {what}'s CBOR item")  # unsigned bytes: refuse them
    return item


def _bytes_lst(value: Any) -> bytes:
    if not isinstance(value, bytes):
        raise StatusListError("lst must be a byte string")
    return value


def status_list_cwt_parse(data: bytes) -> StatusListToken:
    """Parse a status list CWT (§5.2) without verifying it: a COSE_Sign1 tagged 18, ES256, protected
    ``typ`` ``application/statuslist+cwt``, no ``crit``, the claims and the inflated list. ``kid`` comes
    from the protected header, else the unprotected one (the draft's example puts it there).

    Raises:
        StatusListError: anything else, including a token over :data:`MAX_TOKEN_BYTES`.
    """
    if not isinstance(data, bytes | bytearray) or len(data) > MAX_TOKEN_BYTES:
        raise StatusListError("not a status list CWT of a sane size")
    item = _cbor(bytes(data), "COSE_Sign1")
    if not isinstance(item, cbor2.CBORTag) or item.tag != _TAG_SIGN1:
        raise StatusListError("a status list CWT is a COSE_Sign1 tagged 18 (§5.2)")
    body = item.value  # cbor2 6 decodes a tag's content immutably: a tuple
    if not isinstance(body, list | tuple) or len(body) != 4:
        raise StatusListError("a COSE_Sign1 is an array of four items")
    protected_raw, unprotected, payload, signature = body
    if not isinstance(protected_raw, bytes) or not isinstance(unprotected, Mapping):
        raise StatusListError("malformed COSE headers")
    if not isinstance(payload, bytes) or not isinstance(signature, bytes):
        raise StatusListError("the payload and signature must be byte strings (no detached payload)")
    protected = _cbor(protected_raw, "protected header") if protected_raw else {}
    if not isinstance(protected, Mapping):
        raise StatusListError("the protected header is not a map")
    if protected.get(_COSE_ALG) != _ES256_ID:
        raise StatusListError(f"algorithm {protected.get(_COSE_ALG)!r} is not ES256 (-7)")
    if _COSE_CRIT in protected:
        raise StatusListError("critical header parameters are not supported")
    if protected.get(HEADER_TYP) != CWT_TYP:
        raise StatusListError(f"typ {protected.get(HEADER_TYP)!r} is not {CWT_TYP!r}")
    claims = _cbor(payload, "CWT claims set")
    if not isinstance(claims, Mapping):
        raise StatusListError("the CWT claims set is not a map")
    status_list = _status_list_of(
        sub=claims.get(CWT_SUB),
        iat=claims.get(CWT_IAT),
        exp=claims.get(CWT_EXP),
        ttl=claims.get(CWT_TTL),
        status_list=claims.get(CWT_STATUS_LIST),
        lst_of=_bytes_lst,
    )
    kid = protected.get(_COSE_KID, unprotected.get(_COSE_KID))
    return StatusListToken(
        status_list,
        kid if isinstance(kid, bytes) else None,
        _sig_structure(protected_raw, payload),
        signature,
    )
