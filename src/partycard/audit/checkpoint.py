"""Signed checkpoints of the audit chain, kept outside the database.

The hash chain alone is unkeyed: anyone who can write the tables can delete rows and re-hash the rest with
``chain.row_hash``, and the chain verifies again. A checkpoint anchors it: ``(seq, hash, at)`` of the chain
head, signed by a dedicated audit key that never leaves the key store (an HSM over PKCS#11 in production,
the encrypted file store in development; ``trust.keystore``), appended as one JSON line to a file outside
PostgreSQL. ``audit_verify`` then checks the chain against every checkpoint, so rows signed before the last
checkpoint can be neither rewritten nor removed without the key (docs/audit.md).

The signed message is a fixed prefix and the sorted compact JSON of ``{at, hash, key, seq}``: the prefix
keeps a checkpoint signature from ever being mistaken for another of the store's signatures.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from partycard.core.signing import SigningUnavailable, hsm_store_open, hsm_stores_close, pki_keystore_open
from partycard.trust.errors import TrustError
from partycard.trust.keystore import KeyNotFound, KeyStore

__all__ = [
    "DEFAULT_KEY_LABEL",
    "Checkpoint",
    "CheckpointInvalid",
    "audit_keystore_open",
    "checkpoint_append",
    "checkpoint_key_label",
    "checkpoint_path",
    "checkpoint_sign",
    "checkpoints_load",
]

DEFAULT_KEY_LABEL = "audit-1"
_PREFIX = b"partycard audit checkpoint v1\n"
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


class CheckpointInvalid(Exception):
    """A checkpoint line does not parse, names a key the store does not hold, or its signature is wrong."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"checkpoint on line {line} of the checkpoint file: {reason}")
        self.line = line


@dataclass(frozen=True)
class Checkpoint:
    """The chain head ``(seq, hash)`` as it stood at ``at``, signed by the audit key ``key``."""

    seq: int
    hash: str
    at: dt.datetime
    key: str
    signature: bytes = b""

    def message(self) -> bytes:
        """The bytes the signature covers."""
        content = {
            "at": self.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "hash": self.hash,
            "key": self.key,
            "seq": self.seq,
        }
        return _PREFIX + json.dumps(content, sort_keys=True, separators=(",", ":")).encode()

    def to_line(self) -> str:
        content = json.loads(self.message()[len(_PREFIX) :])
        content["sig"] = base64.b64encode(self.signature).decode()
        return json.dumps(content, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_line(cls, text: str) -> Checkpoint:
        """Raises: ValueError (and its subclasses): not a checkpoint line."""
        data: dict[str, Any] = json.loads(text)
        seq, hash_, key = data["seq"], data["hash"], data["key"]
        if not isinstance(seq, int) or seq < 0 or not isinstance(hash_, str) or len(hash_) != 64:
            raise ValueError("bad seq or hash")
        if not isinstance(key, str):
            raise ValueError("bad key label")
        at = dt.datetime.fromisoformat(data["at"])
        if at.tzinfo is None:
            raise ValueError("time without a zone")
        return cls(seq, hash_, at, key, base64.b64decode(data["sig"], validate=True))


def checkpoint_path() -> Path:
    """The checkpoint file: ``PARTYCARD_AUDIT_CHECKPOINTS``, or ``VAR_DIR/audit/checkpoints.jsonl``.

    Production points it at storage the database's administrators cannot rewrite (docs/audit.md).
    """
    configured = os.environ.get("PARTYCARD_AUDIT_CHECKPOINTS")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "audit" / "checkpoints.jsonl"


def checkpoint_key_label() -> str:
    """The audit key's label in the store: ``PARTYCARD_AUDIT_KEY_LABEL``, or ``audit-1``."""
    return os.environ.get("PARTYCARD_AUDIT_KEY_LABEL") or DEFAULT_KEY_LABEL


def audit_keystore_open() -> KeyStore:
    """The key store that holds the audit key.

    With ``PARTYCARD_AUDIT_PKCS11_MODULE`` set, the HSM token ``PARTYCARD_AUDIT_PKCS11_TOKEN`` opened with
    ``PARTYCARD_AUDIT_PKCS11_PIN`` (one session per token per process, kept open, shared with the
    authority's own: ``core.signing.hsm_store_open``); otherwise the authority's key store
    (``core.signing.pki_keystore_open``; the audit key is made there on first use).

    Raises:
        SigningUnavailable: the store cannot be opened.
    """
    module = os.environ.get("PARTYCARD_AUDIT_PKCS11_MODULE")
    if not module:
        return pki_keystore_open(create=True)
    token = os.environ.get("PARTYCARD_AUDIT_PKCS11_TOKEN", "")
    try:
        return hsm_store_open(module, token, os.environ.get("PARTYCARD_AUDIT_PKCS11_PIN", ""))
    except SigningUnavailable as e:
        raise SigningUnavailable(
            f"cannot open the audit key's HSM token {token!r}: {e}",
            f"Không mở được token HSM {token!r} chứa khóa ký nhật ký kiểm toán.",
        ) from e


def audit_keystores_close() -> None:
    """Close the HSM sessions ``audit_keystore_open`` keeps (at shutdown; a test that opened one)."""
    hsm_stores_close()


def checkpoint_sign(*, store: KeyStore, label: str, seq: int, hash: str, at: dt.datetime) -> Checkpoint:
    """Sign ``(seq, hash, at)`` with the audit key ``label``, made in the store on first use.

    Raises:
        TrustError: the store refuses.
    """
    try:
        store.public_key(label)
    except KeyNotFound:
        store.generate(label)
    unsigned = Checkpoint(seq, hash, at, label)
    return Checkpoint(seq, hash, at, label, store.sign(label, unsigned.message()))


def checkpoint_append(path: Path, checkpoint: Checkpoint) -> None:
    """Append one line and flush it to disk (O_APPEND: concurrent writers never interleave a line)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (checkpoint.to_line() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoints_load(path: Path, store: KeyStore) -> list[Checkpoint]:
    """Every checkpoint in ``path``, its signature checked against the public key the store holds.

    A missing file is no checkpoint. Their order in the file must be that of their sequence numbers.

    Raises:
        CheckpointInvalid: a line that does not parse, names an unknown key, carries a wrong signature, or
            goes back in sequence.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    result: list[Checkpoint] = []
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            checkpoint = Checkpoint.from_line(text)
        except (ValueError, KeyError, TypeError) as e:
            raise CheckpointInvalid(number, "not a checkpoint line") from e
        if checkpoint.key not in keys:
            try:
                keys[checkpoint.key] = store.public_key(checkpoint.key)
            except TrustError as e:
                raise CheckpointInvalid(number, f"the key store has no audit key {checkpoint.key!r}") from e
        try:
            keys[checkpoint.key].verify(checkpoint.signature, checkpoint.message(), _ECDSA_SHA256)
        except InvalidSignature as e:
            raise CheckpointInvalid(number, "the signature does not verify (forged or altered)") from e
        if result and checkpoint.seq < result[-1].seq:
            raise CheckpointInvalid(number, "its sequence number goes back")
        result.append(checkpoint)
    return result
