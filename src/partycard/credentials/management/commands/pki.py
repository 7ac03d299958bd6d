"""``partycard pki``: the signing authority (docs/trust.md). Thin glue over ``partycard.trust.authority``.

The keys are in the encrypted file store under ``PARTYCARD_PKI_DIR/keys`` (development and demo), its
passphrase from ``PARTYCARD_PKI_PASSPHRASE``; production puts them in an HSM (``Pkcs11KeyStore``). Each
command is audited.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.signing import (
    MIN_PASSPHRASE,
    PKI_PKCS11_MODULE_ENV,
    AuthorityMissing,
    NoUsableSigner,
    SigningUnavailable,
    document_signer_current,
    manufacturer_current,
    pki_directory,
    pki_keystore_kdf,
    pki_keystore_open,
    pki_state_load,
)
from partycard.trust.authority import (
    authority_init,
    authority_manufacturer,
    authority_publish,
    authority_revoke,
    authority_rollover,
)
from partycard.trust.errors import TrustError
from partycard.trust.keystore.file import FileKeyStore, passphrase_change
from partycard.trust.state import PkiState

NEW_PASSPHRASE_ENV = "PARTYCARD_PKI_NEW_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret


def _state_or_none(directory: Path) -> PkiState | None:
    try:
        return pki_state_load(directory)
    except AuthorityMissing:
        return None


def pki_changes(before: PkiState | None, after: PkiState) -> dict[str, list[Any]]:
    """What one command changed in the authority, for its audit row: the signers it issued (label, role,
    serial, validity), the revocations it added (serial, signer, reason, time), the CRL and trust list
    numbers, the trust list's chip policy, and the operating-system account that ran it. Certificates are
    public; no key material is in the state."""
    old_signers = {s.serial for s in before.signers} if before else set()
    old_revoked = {r.serial for r in before.revocations} if before else set()
    labels = {s.serial: s.label for s in after.signers}
    issued = [
        {
            "label": s.label,
            "role": s.role,
            "serial": s.serial,
            "not_before": s.not_before,
            "not_after": s.not_after,
        }
        for s in after.signers
        if s.serial not in old_signers
    ]
    revoked = [
        {
            "serial": r.serial,
            "label": labels.get(r.serial, ""),
            "reason": r.reason,
            "revoked_at": r.revoked_at,
        }
        for r in after.revocations
        if r.serial not in old_revoked
    ]
    changes: dict[str, list[Any]] = {"operator": [None, _operator()]}
    if issued:
        changes["signers_issued"] = [None, issued]
    if revoked:
        changes["revoked"] = [None, revoked]
    if before is None or before.crl_number != after.crl_number:
        changes["crl_number"] = [before.crl_number if before else None, after.crl_number]
    if before is None or before.trustlist_sequence != after.trustlist_sequence:
        changes["trustlist_sequence"] = [
            before.trustlist_sequence if before else None,
            after.trustlist_sequence,
        ]
    if before is None or before.aa_fallback != after.aa_fallback:
        changes["aa_fallback"] = [before.aa_fallback if before else None, after.aa_fallback]
    return changes


def _operator() -> str:
    """The operating-system account that ran the command (the audit row's actor is "system")."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def _new_passphrase() -> str:
    """From ``PARTYCARD_PKI_NEW_PASSPHRASE``, or typed twice at a terminal (never an argument: it would be
    in the shell's history and every process listing)."""
    new = os.environ.get(NEW_PASSPHRASE_ENV)
    if new is None:
        if not sys.stdin.isatty():
            raise CommandError(f"set {NEW_PASSPHRASE_ENV}, or run at a terminal to type the new passphrase")
        new = getpass.getpass("New passphrase: ")
        if getpass.getpass("The new passphrase again: ") != new:
            raise CommandError("the two new passphrases differ; nothing was changed")
    if len(new) < MIN_PASSPHRASE:
        raise CommandError(f"the new passphrase must have {MIN_PASSPHRASE} characters or more")
    return new


def _public_key(path: Path) -> Any:
    try:
        return load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as e:
        raise CommandError(f"cannot read a PEM public key from {path}: {e}") from e


def _signing_key(path: Path) -> ec.EllipticCurvePublicKey:
    key = _public_key(path)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise CommandError(f"{path}: the signing key must be an EC key")
    return key


def _encryption_key(path: Path) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
    key = _public_key(path)
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise CommandError(f"{path}: the encryption key must be an EC or RSA key")
    return key


class Command(BaseCommand):
    help = (
        "The signing authority: init, publish (CRL + trust list), rollover (next signer), revoke, "
        "manufacturer (certify the card manufacturer's keys), show, keys-upgrade (re-encrypt weak key "
        "files), passphrase-change (re-encrypt the file key store under a new passphrase)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("init", help="create the root, the trust-list signer and a document signer; publish")
        publish = sub.add_parser("publish", help="issue a fresh CRL and signed trust list")
        publish.add_argument(
            "--sequence-from",
            type=int,
            metavar="N",
            help="number the trust list N at least (after a restore: above every number verifiers saw)",
        )
        publish.add_argument(
            "--aa-fallback",
            action=argparse.BooleanOptionalAction,
            default=None,
            help=(
                "sign into this and every later trust list whether a chip that offers chip authentication"
                " may pass on active authentication alone when read without it (default: keep the last"
                " setting; off for a new authority)"
            ),
        )
        sub.add_parser("rollover", help="issue the next document signer and publish")
        revoke = sub.add_parser("revoke", help="revoke a signer by its serial (hex) and publish")
        revoke.add_argument("serial")
        revoke.add_argument("--reason", choices=[r.name for r in x509.ReasonFlags], default="key_compromise")
        sub.add_parser("show", help="list the signers and revocations")
        sub.add_parser(
            "keys-upgrade",
            help="re-encrypt every key file still under PBKDF2 or a weaker scrypt cost (docs/trust.md)",
        )
        sub.add_parser(
            "passphrase-change",
            help=(
                f"re-encrypt every key file under a new passphrase: from {NEW_PASSPHRASE_ENV}, or typed "
                "twice at the terminal (stop the workers first; run again to finish after an interruption)"
            ),
        )
        maker = sub.add_parser(
            "manufacturer", help="issue the card manufacturer's signing and encryption certificates"
        )
        maker.add_argument("--organization", required=True, help="the manufacturer's name (O= of both)")
        maker.add_argument("--signing-key", required=True, type=Path, help="its EC P-256 public key, PEM")
        maker.add_argument(
            "--encryption-key", required=True, type=Path, help="its EC P-256 or RSA public key, PEM"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory, action, now = pki_directory(), options["action"], clock.now()
        if action == "passphrase-change":  # before the store opens: after an interruption its files are mixed
            self._passphrase_change(directory)
            return
        try:
            if action == "show":
                self._show(directory)
                return
            store = pki_keystore_open(directory, create=action == "init")
        except SigningUnavailable as e:
            raise CommandError(e.message_en) from e
        if action == "keys-upgrade":
            if not isinstance(store, FileKeyStore):
                raise CommandError("keys-upgrade re-encrypts the file key store; an HSM keeps its own keys")
            self._keys_upgrade(store)
            return
        try:
            with transaction.atomic():
                before = _state_or_none(directory)
                object_type, object_id = "trust.authority", "root"
                if action == "init":
                    authority_init(store=store, directory=directory, now=now)
                elif action == "publish":
                    authority_publish(
                        store=store,
                        directory=directory,
                        now=now,
                        sequence_from=options["sequence_from"],
                        aa_fallback=options["aa_fallback"],
                    )
                elif action == "manufacturer":
                    signing_path, encryption_path = authority_manufacturer(
                        store=store,
                        directory=directory,
                        organization=options["organization"],
                        signing_key=_signing_key(options["signing_key"]),
                        encryption_key=_encryption_key(options["encryption_key"]),
                        now=now,
                    )
                    signing = x509.load_pem_x509_certificate(signing_path.read_bytes())
                    object_type, object_id = "trust.manufacturer", f"{signing.serial_number:x}"
                elif action == "rollover":
                    cert = authority_rollover(store=store, directory=directory, now=now)
                    object_type, object_id = "trust.signer", f"{cert.serial_number:x}"
                else:
                    serial = int(options["serial"], 16)
                    reason = x509.ReasonFlags[options["reason"]]
                    authority_revoke(store=store, directory=directory, serial=serial, now=now, reason=reason)
                    object_type, object_id = "trust.signer", f"{serial:x}"
                audit_record(
                    actor=None,
                    action=f"pki.{action}",
                    object_type=object_type,
                    object_id=object_id,
                    changes=pki_changes(before, pki_state_load(directory)),
                )
        except (TrustError, ValueError) as e:
            raise CommandError(str(e)) from e
        if action == "manufacturer":
            self.stdout.write(f"pki manufacturer: signing certificate {signing_path}")
            self.stdout.write(f"pki manufacturer: encryption certificate {encryption_path}")
        else:
            self.stdout.write(f"pki {action}: done; trust list at {directory / 'trustlist.json'}")
        try:
            self._show(directory)
        except SigningUnavailable as e:
            raise CommandError(e.message_en) from e

    def _keys_upgrade(self, store: FileKeyStore) -> None:
        """Re-encrypt the store's weaker files now (each is also done at its first unlock); audited."""
        try:
            labels = store.upgrade()
        except TrustError as e:
            raise CommandError(str(e)) from e
        with transaction.atomic():
            audit_record(
                actor=None,
                action="pki.keys_upgrade",
                object_type="trust.keystore",
                object_id="keys",
                changes={"keys_upgraded": [None, labels], "operator": [None, _operator()]},
            )
        self.stdout.write(
            f"pki keys-upgrade: {len(labels)} key file(s) re-encrypted, {len(store.labels())} in all"
        )

    def _passphrase_change(self, directory: Path) -> None:
        """Re-encrypt the file store under the new passphrase (``passphrase_change``); audited, no secret in
        the audit row. The services and the secret store get the new passphrase after it."""
        if os.environ.get(PKI_PKCS11_MODULE_ENV):
            raise CommandError(
                "passphrase-change re-encrypts the file key store; an HSM's PIN is changed with its own tool"
            )
        old = os.environ.get("PARTYCARD_PKI_PASSPHRASE", "")
        if len(old) < MIN_PASSPHRASE:
            raise CommandError(f"set PARTYCARD_PKI_PASSPHRASE to the current passphrase ({MIN_PASSPHRASE}+)")
        new = _new_passphrase()
        keys = directory / "keys"
        if not keys.is_dir():
            raise CommandError(f"the key store {keys} is missing (moved, or its volume is not mounted)")
        try:
            changed, already = passphrase_change(keys, old.encode(), new.encode(), kdf=pki_keystore_kdf())
        except (TrustError, ValueError, OSError) as e:
            raise CommandError(f"passphrase-change: {e}") from e
        with transaction.atomic():
            audit_record(
                actor=None,
                action="pki.passphrase_change",
                object_type="trust.keystore",
                object_id="keys",
                changes={
                    "keys_reencrypted": [None, changed],
                    "keys_already_new": [None, already],
                    "operator": [None, _operator()],
                },
            )
        self.stdout.write(
            f"pki passphrase-change: {len(changed)} key file(s) re-encrypted"
            + (f", {len(already)} already under the new passphrase" if already else "")
            + ". Put the new passphrase in PARTYCARD_PKI_PASSPHRASE of every service, then restart them."
        )

    def _show(self, directory: Path) -> None:
        """Raises: AuthorityMissing (the caller words it for the command line)."""
        state = pki_state_load(directory)
        revoked = {r.serial for r in state.revocations}
        for s in state.signers:
            mark = " REVOKED" if s.serial in revoked else ""
            self.stdout.write(f"{s.role:<16} {s.label:<12} {s.serial}  {s.not_before} → {s.not_after}{mark}")
        self.stdout.write(f"CRL number {state.crl_number}, trust list number {state.trustlist_sequence}")
        fallback = "allowed" if state.aa_fallback else "refused"
        self.stdout.write(
            f"active authentication alone from a chip that offers chip authentication: {fallback}"
        )
        try:
            signer = document_signer_current(directory=directory, at=clock.now())
            self.stdout.write(f"signing now: {signer.label} ({signer.serial})")
        except NoUsableSigner as e:
            self.stdout.write(f"signing now: none; {e.message_en}")
        maker = manufacturer_current(directory, clock.now())
        if maker is not None:
            self.stdout.write(
                f"manufacturer now: {maker.signing.subject.rfc4514_string()} "
                f"(signing {maker.signing.serial_number:x}, encryption {maker.encryption.serial_number:x})"
            )
