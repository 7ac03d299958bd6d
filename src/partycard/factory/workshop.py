"""The factory directory: the manufacturer's two keys, the certificates the Party issued for them, the
ledger, and where chips, print files and reports go.

::

    DIR/factory.json            organisation name and format
    DIR/keys/                   the signing key (trust.keystore FileKeyStore, label "signing")
    DIR/encryption-key.pem      the ECDH key batches are encrypted to (encrypted PKCS#8 PEM, PBES2 with
                                scrypt as the key store's files; a PBKDF2 file is migrated when opened)
    DIR/requests/*.pub.pem      both public keys, for ``partycard pki manufacturer`` to certify
    DIR/certs/                  root.pem, signing.pem, encryption.pem (installed by ``trust``)
    DIR/ledger.jsonl            what was done (factory/ledger.py)
    DIR/chips/<number>.chip     each personalised chip (chip/perso.py: stands for the physical card)
    DIR/spoiled/<serial>.chip   spoiled chips, for the destruction minutes
    DIR/print/<batch>.pdf       the print file of a batch
    DIR/out/                    the key reports and production reports to send back

Both private keys are encrypted with the same passphrase (``PARTYCARD_FACTORY_PASSPHRASE`` in the
command); a bureau puts them in its HSM instead, behind the same KeyStore interface.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.factory.errors import (
    DirectoryAlreadyInitialised,
    DirectoryBusy,
    DirectoryNotInitialised,
    PassphraseInvalid,
    TrustInvalid,
    TrustNotInstalled,
)
from partycard.factory.ledger import Ledger
from partycard.trust.keystore import BadPassphrase
from partycard.trust.keystore.file import FileKeyStore, pkcs8_encrypt, pkcs8_scrypt, private_file_replace
from partycard.trust.pki import MANUFACTURER_ENCRYPTION, MANUFACTURER_SIGNING, manufacturer_role

__all__ = [
    "FACTORY_FORMAT",
    "MIN_PASSPHRASE",
    "SIGNING_LABEL",
    "Factory",
    "atomic_write",
    "factory_init",
    "factory_open",
    "factory_trust",
    "safe_name",
]

FACTORY_FORMAT = "partycard-factory/1"
SIGNING_LABEL = "signing"
MIN_PASSPHRASE = 12  # as the Party's own key store (core.signing.MIN_PASSPHRASE)
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def safe_name(text: str, what: str) -> str:
    """``text`` if it can name a file (letters, digits, ``._-``; no path), else a ValueError."""
    if not _SAFE_NAME.fullmatch(text) or ".." in text:
        raise ValueError(f"{what} {text!r} cannot name a file (letters, digits and . _ - only)")
    return text


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one, never a part."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def _pem(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass
class Factory:
    """An opened factory directory: its keys, and its certificates once ``trust`` installed them."""

    directory: Path
    organization: str
    store: FileKeyStore
    encryption_key: ec.EllipticCurvePrivateKey
    root: x509.Certificate | None
    signing_cert: x509.Certificate | None
    encryption_cert: x509.Certificate | None

    def path(self, *parts: str) -> Path:
        """A path under the directory, its parent created."""
        target = self.directory.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def trusted(self) -> tuple[x509.Certificate, x509.Certificate, x509.Certificate]:
        """(root, signing certificate, encryption certificate).

        Raises:
            TrustNotInstalled: ``partycard-factory trust`` was not run.
        """
        if self.root is None or self.signing_cert is None or self.encryption_cert is None:
            raise TrustNotInstalled(
                f"no certificates in {self.directory / 'certs'}: have the Party certify the keys in "
                f"{self.directory / 'requests'} and run `partycard-factory trust`"
            )
        return self.root, self.signing_cert, self.encryption_cert

    def ledger(self) -> Ledger:
        return Ledger(self.directory / "ledger.jsonl")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the directory's lock: one run at a time writes chips, files and the ledger.

        Raises:
            DirectoryBusy: another run holds it.
        """
        with open(self.directory / ".lock", "a") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as e:
                raise DirectoryBusy(f"another partycard-factory is working in {self.directory}") from e
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _check_passphrase(passphrase: bytes) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise PassphraseInvalid(
            f"set PARTYCARD_FACTORY_PASSPHRASE to a passphrase of at least {MIN_PASSPHRASE} characters"
        )


def factory_init(directory: Path, *, organization: str, passphrase: bytes, at: datetime) -> Factory:
    """Make the factory's two key pairs in ``directory`` and write their public keys to ``requests/``.

    Raises:
        DirectoryAlreadyInitialised: the directory already has a factory (keys are never replaced).
        PassphraseInvalid: the passphrase is too short.
    """
    _check_passphrase(passphrase)
    if not organization.strip():
        raise ValueError("the organisation name is empty")
    if (directory / "factory.json").exists() or (directory / "keys").exists():
        raise DirectoryAlreadyInitialised(f"{directory} already holds a factory; its keys are never replaced")
    directory.mkdir(parents=True, exist_ok=True)
    store = FileKeyStore(directory / "keys", passphrase)
    signing = store.generate(SIGNING_LABEL)
    encryption_key = ec.generate_private_key(ec.SECP256R1())
    key_path = directory / "encryption-key.pem"
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pkcs8_encrypt(encryption_key, passphrase))
    (directory / "requests").mkdir(exist_ok=True)
    (directory / "requests" / "signing.pub.pem").write_bytes(_pem(signing))
    (directory / "requests" / "encryption.pub.pem").write_bytes(_pem(encryption_key.public_key()))
    (directory / "certs").mkdir(exist_ok=True)
    meta = {"format": FACTORY_FORMAT, "organization": organization.strip(), "created_at": at.isoformat()}
    atomic_write(directory / "factory.json", json.dumps(meta, ensure_ascii=False, indent=2).encode())
    return factory_open(directory, passphrase=passphrase)


def _certificate(path: Path) -> x509.Certificate | None:
    return x509.load_pem_x509_certificate(path.read_bytes()) if path.exists() else None


def factory_open(directory: Path, *, passphrase: bytes) -> Factory:
    """Open the factory in ``directory`` with its passphrase.

    Raises:
        DirectoryNotInitialised: no factory there.
        PassphraseInvalid: the passphrase is too short or does not open the keys.
    """
    meta_path = directory / "factory.json"
    if not meta_path.exists():
        raise DirectoryNotInitialised(f"{directory} is not a factory directory: run `partycard-factory init`")
    _check_passphrase(passphrase)
    meta = json.loads(meta_path.read_text())
    key_path = directory / "encryption-key.pem"
    try:
        store = FileKeyStore(directory / "keys", passphrase)
        key_pem = key_path.read_bytes()
        key = serialization.load_pem_private_key(key_pem, passphrase)
    except (BadPassphrase, ValueError, TypeError) as e:
        raise PassphraseInvalid(f"PARTYCARD_FACTORY_PASSPHRASE does not open the keys in {directory}") from e
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise DirectoryNotInitialised(f"{directory}/encryption-key.pem is not an EC key")
    if pkcs8_scrypt(key_pem) is None:  # PBKDF2, from before scrypt: re-encrypted once, in place
        private_file_replace(key_path, pkcs8_encrypt(key, passphrase))
    certs = directory / "certs"
    return Factory(
        directory=directory,
        organization=meta["organization"],
        store=store,
        encryption_key=key,
        root=_certificate(certs / "root.pem"),
        signing_cert=_certificate(certs / "signing.pem"),
        encryption_cert=_certificate(certs / "encryption.pem"),
    )


def _same_key(certificate: x509.Certificate, public_key: ec.EllipticCurvePublicKey) -> bool:
    return _pem(certificate.public_key()) == _pem(public_key)  # type: ignore[arg-type]


def _check_issued(certificate: x509.Certificate, root: x509.Certificate, what: str, at: datetime) -> None:
    try:
        certificate.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature) as e:
        raise TrustInvalid(f"the {what} certificate was not issued by this root: {e}") from e
    if not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
        raise TrustInvalid(
            f"the {what} certificate is not valid now (valid {certificate.not_valid_before_utc:%Y-%m-%d}"
            f" to {certificate.not_valid_after_utc:%Y-%m-%d})"
        )


def factory_trust(
    factory: Factory,
    *,
    root: x509.Certificate,
    signing_cert: x509.Certificate,
    encryption_cert: x509.Certificate,
    at: datetime,
) -> None:
    """Check the Party's root and the two certificates it issued for our keys, then install them.

    Each must carry our own public key, be issued by ``root``, valid at ``at``, and have the profile
    ``trust.pki.manufacturer_issue`` gives (RFC 5280 §4.2.1.3: the signing one digitalSignature only,
    the encryption one keyAgreement only; both the manufacturer's extended key usage).

    Raises:
        TrustInvalid: with the reason.
    """
    try:
        root.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature) as e:
        raise TrustInvalid("the root certificate is not self-signed") from e
    if not _same_key(signing_cert, factory.store.public_key(SIGNING_LABEL)):
        raise TrustInvalid("the signing certificate does not carry this factory's signing key")
    if not _same_key(encryption_cert, factory.encryption_key.public_key()):
        raise TrustInvalid("the encryption certificate does not carry this factory's encryption key")
    _check_issued(signing_cert, root, "signing", at)
    _check_issued(encryption_cert, root, "encryption", at)
    # The profile of trust.pki.manufacturer_issue: the manufacturer's EKU, one key usage per certificate.
    if manufacturer_role(signing_cert) != MANUFACTURER_SIGNING:
        raise TrustInvalid("the signing certificate is not a manufacturer's signing certificate")
    if manufacturer_role(encryption_cert) != MANUFACTURER_ENCRYPTION:
        raise TrustInvalid("the encryption certificate is not a manufacturer's encryption certificate")
    certs = factory.path("certs", "root.pem").parent
    for name, certificate in (("root", root), ("signing", signing_cert), ("encryption", encryption_cert)):
        atomic_write(certs / f"{name}.pem", certificate.public_bytes(serialization.Encoding.PEM))
    factory.root, factory.signing_cert, factory.encryption_cert = root, signing_cert, encryption_cert
