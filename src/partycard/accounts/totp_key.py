"""Encryption at rest of the TOTP secrets: Fernet (AES-128-CBC + HMAC-SHA256, ``cryptography``) with keys
from the environment, so that a copy of the database alone does not give away every officer's second factor.

RFC 6238 §5.1: "We also RECOMMEND storing the keys securely in the validation system, and, more
specifically, encrypting them". django-otp stores them in plain hex (its issue #67), so partycard's own
device model (``accounts.models.TOTPDevice``) keeps the key in an ``EncryptedSecretField``.

``PARTYCARD_TOTP_KEYS`` holds one or more Fernet keys, comma-separated: the first encrypts, every one
decrypts (``MultiFernet``), so a key is rotated by putting the new one first and re-saving the devices.
The production settings refuse to start without it; development and tests use a fixed, public key.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["DEVELOPMENT_KEY", "SecretUndecryptable", "fernet_keys_check", "secret_decrypt", "secret_encrypt"]

# Public, for development and tests only (the production settings require PARTYCARD_TOTP_KEYS).
DEVELOPMENT_KEY = "cGFydHljYXJkLWRldmVsb3BtZW50LXRvdHAta2V5ISE="


class SecretUndecryptable(Exception):
    """A stored secret no configured key decrypts (a key was removed too early, or the row was altered)."""


def fernet_keys_check(text: str) -> list[str]:
    """The comma-separated Fernet keys in ``text``.

    Raises:
        ImproperlyConfigured: none, or one that is not a url-safe base64 32-byte Fernet key.
    """
    keys = [k.strip() for k in text.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured(
            "PARTYCARD_TOTP_KEYS is not set: it must hold the Fernet key that encrypts TOTP secrets; make "
            "one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError as e:
            raise ImproperlyConfigured(
                f"PARTYCARD_TOTP_KEYS: key {number} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from e
    return keys


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.PARTYCARD["TOTP_KEYS"]))


def secret_encrypt(secret: str) -> str:
    """The Fernet token of ``secret`` under the first key."""
    return _current().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    """Raises: SecretUndecryptable."""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as e:
        raise SecretUndecryptable("a TOTP secret that no key in PARTYCARD_TOTP_KEYS decrypts") from e
