"""Compact JWS with ES256 (RFC 7515, RFC 7518 §3.4): what the SD-JWT, its key-binding JWT and the
status list JWT are made of, and the P-256 JWK (RFC 7517, RFC 7518 §6.2) that names a holder's key.

As for COSE, the key stays in its store: :func:`jws_sign` takes a ``sign`` callable returning DER and
writes r || s. Parsing is strict: three base64url parts without padding, a UTF-8 JSON object header
naming ES256 and no ``crit``, no duplicate member names, so "alg: none", algorithm confusion and
parser-differential tricks cannot get through.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.ecard.errors import JwsError
from partycard.trust.ecdsa import der_to_plain, plain_to_der

__all__ = [
    "MAX_CHARS",
    "Jws",
    "b64url",
    "b64url_decode",
    "json_dumps",
    "json_loads",
    "jwk_of",
    "jws_parse",
    "jws_sign",
    "jws_verify",
    "public_key_of_jwk",
]

_ES256 = ec.ECDSA(hashes.SHA256())
MAX_CHARS = 256 * 1024
_P256_BYTES = 32


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url without padding; refuses padding, other alphabets and non-canonical input.

    Raises:
        JwsError: not canonical base64url.
    """
    if not isinstance(text, str) or "=" in text or len(text) % 4 == 1 or not text.isascii():
        raise JwsError("not base64url without padding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as e:
        raise JwsError(f"not base64url: {e}") from e
    if b64url(data) != text:  # also refuses "+", "/" and non-zero trailing bits
        raise JwsError("non-canonical base64url")
    return data


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # RFC 7515 §5.2 step 4 lets a parser refuse duplicate names; two readers picking different ones
        # is how signed claims get smuggled.
        raise JwsError("duplicate member name in a JSON object")
    return result


def _no_constant(name: str) -> Any:
    raise JwsError(f"{name} is not JSON (RFC 8259)")


def json_loads(data: bytes, what: str) -> Any:
    """Strict JSON (RFC 8259) from UTF-8 bytes: no duplicate names, no NaN or Infinity.

    Raises:
        JwsError: anything else, naming ``what``.
    """
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except JwsError as e:
        raise JwsError(f"{what}: {e}") from e
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise JwsError(f"{what} is not JSON: {e}") from e


def json_dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON, as every token here is written."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Jws:
    """A parsed compact JWS; ``signing_input`` is what the signature covers."""

    header: Mapping[str, Any]
    payload: bytes
    signature: bytes
    signing_input: bytes

    def claims(self) -> dict[str, Any]:
        """The payload as a JSON object.

        Raises:
            JwsError: the payload is not a JSON object.
        """
        value = json_loads(self.payload, "the payload")
        if not isinstance(value, dict):
            raise JwsError("the payload is not a JSON object")
        return value


def jws_sign(
    header: Mapping[str, Any], payload: bytes | Mapping[str, Any], *, sign: Callable[[bytes], bytes]
) -> str:
    """``header`` (``alg`` is set to ES256) and ``payload`` (bytes, or a JSON object) signed compactly.

    ``sign`` returns a DER ECDSA-SHA256 signature over its argument (a key store's ``sign``).
    """
    body = payload if isinstance(payload, bytes) else json_dumps(payload)
    signing_input = f"{b64url(json_dumps({**header, 'alg': 'ES256'}))}.{b64url(body)}".encode("ascii")
    return f"{signing_input.decode('ascii')}.{b64url(der_to_plain(sign(signing_input), _P256_BYTES))}"


def jws_parse(token: str, *, typ: str | None = None) -> Jws:
    """Parse a compact JWS in our profile (ES256, no ``crit``), optionally requiring header ``typ``.

    Raises:
        JwsError: anything else.
    """
    if not isinstance(token, str) or len(token) > MAX_CHARS:
        raise JwsError("not a JWS of a sane size")
    parts = token.split(".")
    if len(parts) != 3:
        raise JwsError("a compact JWS has three parts")
    header = json_loads(b64url_decode(parts[0]), "the header")
    if not isinstance(header, dict):
        raise JwsError("the header is not a JSON object")
    if header.get("alg") != "ES256":
        raise JwsError(f"algorithm {header.get('alg')!r} is not ES256")
    if "crit" in header:
        raise JwsError("critical header parameters are not supported")
    if typ is not None and header.get("typ") != typ:
        raise JwsError(f"typ {header.get('typ')!r} is not {typ!r}")
    payload, signature = b64url_decode(parts[1]), b64url_decode(parts[2])
    if len(signature) != 2 * _P256_BYTES:
        raise JwsError("an ES256 signature is 64 bytes, r || s (RFC 7518 §3.4)")
    return Jws(header, payload, signature, f"{parts[0]}.{parts[1]}".encode("ascii"))


def jws_verify(message: Jws, public_key: ec.EllipticCurvePublicKey) -> bool:
    """Whether the signature is ``public_key``'s ES256 over the signing input. Never raises.

    ES256 means P-256 (RFC 7518 §3.4): a key on another curve never verifies.
    """
    if len(message.signature) != 2 * _P256_BYTES or not isinstance(public_key.curve, ec.SECP256R1):
        return False
    try:
        public_key.verify(plain_to_der(message.signature), message.signing_input, _ES256)
    except (InvalidSignature, ValueError):
        return False
    return True


def jwk_of(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public JWK of a P-256 key: kty, crv, x, y (RFC 7518 §6.2.1), members in that order.

    Raises:
        JwsError: the key is not on P-256.
    """
    if not isinstance(public_key.curve, ec.SECP256R1):
        raise JwsError("only P-256 keys are supported")
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(_P256_BYTES, "big")),
        "y": b64url(numbers.y.to_bytes(_P256_BYTES, "big")),
    }


def public_key_of_jwk(jwk: Any) -> ec.EllipticCurvePublicKey:
    """The P-256 public key a JWK names. A JWK with a private part (``d``) is refused: a credential
    that carries its holder's private key binds nothing.

    Raises:
        JwsError: not a public P-256 JWK, or a point not on the curve.
    """
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise JwsError("not an EC P-256 JWK")
    if "d" in jwk:
        raise JwsError("the JWK holds a private key")
    x, y = jwk.get("x"), jwk.get("y")
    if not isinstance(x, str) or not isinstance(y, str):
        raise JwsError("the JWK lacks x or y")
    x_bytes, y_bytes = b64url_decode(x), b64url_decode(y)
    if len(x_bytes) != _P256_BYTES or len(y_bytes) != _P256_BYTES:  # RFC 7518 §6.2.1.2: full length
        raise JwsError("JWK coordinates are 32 bytes on P-256")
    try:
        return ec.EllipticCurvePublicNumbers(
            int.from_bytes(x_bytes, "big"), int.from_bytes(y_bytes, "big"), ec.SECP256R1()
        ).public_key()
    except ValueError as e:
        raise JwsError("the JWK's point is not on P-256") from e
