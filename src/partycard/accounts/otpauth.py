"""The ``otpauth://`` provisioning URI that authenticator apps read from the enrolment QR code.

Google Authenticator's Key Uri Format (github.com/google/google-authenticator/wiki/Key-Uri-Format):
``otpauth://totp/LABEL?secret=…&issuer=…&algorithm=…&digits=…&period=…`` where the label is
``issuer:account``; the issuer and the account are URL-encoded (RFC 3986 percent-encoding: a space is
``%20``, never ``+``; UTF-8 bytes for Vietnamese letters), neither may hold a colon, the issuer is given
again as the ``issuer`` parameter (the apps that read one or the other show the same name), and the
secret is base32 without its ``=`` padding.
"""

from __future__ import annotations

import base64
import unicodedata
from urllib.parse import quote

__all__ = ["totp_uri"]


def _part(text: str) -> str:
    """One URI-encoded label part: NFC (a name typed in decomposed form shows the same), no colon."""
    return quote(unicodedata.normalize("NFC", text).replace(":", "").strip(), safe="")


def totp_uri(*, secret: bytes, account: str, issuer: str, digits: int = 6, period: int = 30) -> str:
    """The provisioning URI of a TOTP (RFC 6238, HMAC-SHA1) secret for ``account`` at ``issuer``."""
    label = f"{_part(issuer)}:{_part(account)}" if issuer.strip() else _part(account)
    params = [
        ("secret", base64.b32encode(secret).decode().rstrip("=")),
        ("issuer", _part(issuer)),
        ("algorithm", "SHA1"),
        ("digits", str(digits)),
        ("period", str(period)),
    ]
    query = "&".join(f"{k}={v}" for k, v in params if v)
    return f"otpauth://totp/{label}?{query}"
