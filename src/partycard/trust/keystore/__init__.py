"""Where private keys live: generated inside the store, never exported, used only to sign.

Two stores implement :class:`KeyStore`: an encrypted file store (development and the demo,
``keystore.file.FileKeyStore``) and a PKCS#11 store for hardware security modules, tested against
SoftHSM2 (``keystore.pkcs11.Pkcs11KeyStore``). Keys are ECDSA P-256; ``sign`` hashes with SHA-256 and
returns a DER-encoded ECDSA signature (what X.509 and CMS carry), whatever the store does inside.
Pure library: no Django.
"""

from __future__ import annotations

from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from partycard.trust.errors import TrustError

__all__ = ["BadPassphrase", "InvalidLabel", "KeyExists", "KeyNotFound", "KeyStore", "KeyStoreError"]


class KeyStoreError(TrustError):
    """The store cannot do what was asked: unreachable, locked, or refusing."""


class KeyNotFound(TrustError, LookupError):
    """No key has this label in the store."""


class KeyExists(TrustError, ValueError):
    """A key with this label is already in the store (labels are never reused)."""


class InvalidLabel(TrustError, ValueError):
    """The label is not 1-64 characters of ``A-Z a-z 0-9 . _ -`` starting with a letter or digit."""


class BadPassphrase(KeyStoreError):
    """The passphrase (or PIN) does not open the store, or a key file is damaged."""


class KeyStore(Protocol):
    def generate(self, label: str) -> ec.EllipticCurvePublicKey:
        """Make a new P-256 key pair inside the store under ``label``; return its public key."""
        ...

    def public_key(self, label: str) -> ec.EllipticCurvePublicKey: ...

    def sign(self, label: str, data: bytes) -> bytes:
        """ECDSA with SHA-256 over ``data``: the DER signature (``Ecdsa-Sig-Value``)."""
        ...

    def labels(self) -> list[str]: ...
