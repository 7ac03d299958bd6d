"""Compact JWS with ES256 (RFC 7515, RFC 7518 §3.4): what the SD-JWT, its key-binding JWT and the
status list JWT are made of.

As for COSE, the key stays in its store: :func:`jws_sign` takes a ``sign`` callable returning DER and
writes r || s. Parsing is strict: three base64url parts without padding, a JSON object header naming
ES256 and no ``crit``, so "alg: none" and algorithm confusion cannot get through.
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

__all__ = ["Jws", "b64url", "b64url_decode", "jws_parse", "jws_sign", "jws_verify"]

_ES256 = ec.ECDSA(hashes.SHA256())
MAX_CHARS = 256 * 1024


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url without padding; refuses padding, other alphabets and non-canonical input.

    Raises:
        JwsError: not canonical base64url.
    """
    if not isinstance(text, str) or "=" in text or len(text) % 4 == 1:
        raise JwsError("not base64url without padding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as e:
        raise JwsError(f"not base64url: {e}") from e
    if b64url(data) != text:
        raise JwsError("non-canonical base64url")
    return data


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
        try:
            value = json.loads(self.payload)
        except (ValueError, UnicodeDecodeError) as e:
            raise JwsError(f"the payload is not JSON: {e}") from e
        if not isinstance(value, dict):
            raise JwsError("the payload is not a JSON object")
        return value


def _json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def jws_sign(
    header: Mapping[str, Any], payload: bytes | Mapping[str, Any], *, sign: Callable[[bytes], bytes]
) -> str:
    """``header`` (``alg`` is set to ES256) and ``payload`` (bytes, or a JSON object) signed compactly."""
    body = payload if isinstance(payload, bytes) else _json(payload)
    signing_input = f"{b64url(_json({**header, 'alg': 'ES256'}))}.{b64url(body)}".encode("ascii")
    return f"{signing_input.decode('ascii')}.{b64url(der_to_plain(sign(signing_input), 32))}"


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
    try:
        header = json.loads(b64url_decode(parts[0]))
    except (ValueError, UnicodeDecodeError) as e:
        raise JwsError(f"the header is not JSON: {e}") from e
    if not isinstance(header, dict):
        raise JwsError("the header is not a JSON object")
    if header.get("alg") != "ES256":
        raise JwsError(f"algorithm {header.get('alg')!r} is not ES256")
    if "crit" in header:
        raise JwsError("critical header parameters are not supported")
    if typ is not None and header.get("typ") != typ:
        raise JwsError(f"typ {header.get('typ')!r} is not {typ!r}")
    return Jws(
        header, b64url_decode(parts[1]), b64url_decode(parts[2]), f"{parts[0]}.{parts[1]}".encode("ascii")
    )


def jws_verify(message: Jws, public_key: ec.EllipticCurvePublicKey) -> bool:
    """Whether the signature is ``public_key``'s ES256 over the signing input. Never raises."""
    if len(message.signature) != 64:
        return False
    try:
        public_key.verify(plain_to_der(message.signature), message.signing_input, _ES256)
    except (InvalidSignature, ValueError):
        return False
    return True
