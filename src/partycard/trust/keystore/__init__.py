"""Where private keys live: generated inside the store, never exported, used only to sign or agree.

Two stores implement :class:`KeyStore`: an encrypted file store (development and the demo,
``keystore.file.FileKeyStore``) and a PKCS#11 store for hardware security modules, tested against
SoftHSM2 (``keystore.pkcs11.Pkcs11KeyStore``). Keys are ECDSA P-256; ``sign`` hashes with SHA-256 and
returns a DER-encoded ECDSA signature (what X.509 and CMS carry), whatever the store does inside.
``derive`` is ECDH with a key generated for key agreement (the chip's chip-authentication key, ICAO
9303-11 §6.2): the shared secret's x coordinate, which chip authentication turns into session keys.
Pure library: no Django.
"""

from __future__ import annotations

from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from partycard.trust.errors import TrustError

__all__ = [
    "BadPassphrase",
    "InvalidLabel",
    "InvalidPeerKey",
    "KeyExists",
    "KeyNotFound",
    "KeyStore",
    "KeyStoreError",
]


class KeyStoreError(TrustError):
    """The store cannot do what was asked: unreachable, locked, or refusing."""


class KeyNotFound(TrustError, LookupError):
    """No key has this label in the store."""


class KeyExists(TrustError, ValueError):
    """A key with this label is already in the store (labels are never reused)."""


class InvalidLabel(TrustError, ValueError):
    """The label is not 1-64 characters of ``A-Z a-z 0-9 . _ -`` starting with a letter or digit."""


class InvalidPeerKey(TrustError, ValueError):
    """The other party's public key for ``derive`` is not an uncompressed point on P-256."""


class BadPassphrase(KeyStoreError):
    """The passphrase (or PIN) does not open the store, or a key file is damaged."""


class KeyStore(Protocol):
    def generate(self, label: str, *, agree: bool = False) -> ec.EllipticCurvePublicKey:
        """Make a new P-256 key pair inside the store under ``label``; return its public key.

        ``agree``: a key for :meth:`derive` (ECDH) rather than :meth:`sign`. A store that can enforce
        key usage (PKCS#11: ``CKA_DERIVE`` / ``CKA_SIGN``) makes it usable for that one purpose only.
        """
        ...

    def public_key(self, label: str) -> ec.EllipticCurvePublicKey: ...

    def sign(self, label: str, data: bytes) -> bytes:
        """ECDSA with SHA-256 over ``data``: the DER signature (``Ecdsa-Sig-Value``)."""
        ...

    def derive(self, label: str, peer_public_point: bytes) -> bytes:
        """ECDH (SEC 1 §3.3.1) of ``label``'s private key with ``peer_public_point`` (an uncompressed
        P-256 point, 04 || X || Y): the shared point's x coordinate, 32 bytes.

        Raises:
            InvalidPeerKey: the point is malformed or not on the curve (checked before the key is used,
                so that an invalid-curve point never reaches the private key).
        """
        ...

    def labels(self) -> list[str]: ...
