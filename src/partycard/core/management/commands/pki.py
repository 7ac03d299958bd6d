"""``partycard pki``: the signing authority (docs/trust.md). Thin glue over ``partycard.trust.authority``.

The keys are in the encrypted file store under ``PARTYCARD_PKI_DIR/keys`` (development and demo), its
passphrase from ``PARTYCARD_PKI_PASSPHRASE``; production puts them in an HSM (``Pkcs11KeyStore``). Each
command is audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography import x509
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.signing import (
    NoUsableSigner,
    SigningUnavailable,
    document_signer_current,
    pki_directory,
    pki_keystore_open,
    pki_state_load,
)
from partycard.trust.authority import authority_init, authority_publish, authority_revoke, authority_rollover
from partycard.trust.errors import TrustError


class Command(BaseCommand):
    help = "The signing authority: init, publish (CRL + trust list), rollover (next signer), revoke, show."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("init", help="create the root, the trust-list signer and a document signer; publish")
        sub.add_parser("publish", help="issue a fresh CRL and signed trust list")
        sub.add_parser("rollover", help="issue the next document signer and publish")
        revoke = sub.add_parser("revoke", help="revoke a signer by its serial (hex) and publish")
        revoke.add_argument("serial")
        revoke.add_argument("--reason", choices=[r.name for r in x509.ReasonFlags], default="key_compromise")
        sub.add_parser("show", help="list the signers and revocations")

    def handle(self, *args: Any, **options: Any) -> None:
        directory, action, now = pki_directory(), options["action"], clock.now()
        try:
            if action == "show":
                self._show(directory)
                return
            store = pki_keystore_open(directory)
        except SigningUnavailable as e:
            raise CommandError(e.message_en) from e
        try:
            with transaction.atomic():
                if action == "init":
                    authority_init(store=store, directory=directory, now=now)
                elif action == "publish":
                    authority_publish(store=store, directory=directory, now=now)
                elif action == "rollover":
                    authority_rollover(store=store, directory=directory, now=now)
                else:
                    serial = int(options["serial"], 16)
                    reason = x509.ReasonFlags[options["reason"]]
                    authority_revoke(store=store, directory=directory, serial=serial, now=now, reason=reason)
                audit_record(
                    actor=None, action=f"pki.{action}", object_type="trust.authority", object_id="root"
                )
        except (TrustError, ValueError) as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"pki {action}: done; trust list at {directory / 'trustlist.json'}")
        try:
            self._show(directory)
        except SigningUnavailable as e:
            raise CommandError(e.message_en) from e

    def _show(self, directory: Path) -> None:
        """Raises: AuthorityMissing (the caller words it for the command line)."""
        state = pki_state_load(directory)
        revoked = {r.serial for r in state.revocations}
        for s in state.signers:
            mark = " REVOKED" if s.serial in revoked else ""
            self.stdout.write(f"{s.role:<16} {s.label:<12} {s.serial}  {s.not_before} → {s.not_after}{mark}")
        self.stdout.write(f"CRL number {state.crl_number}")
        try:
            signer = document_signer_current(directory=directory, at=clock.now())
            self.stdout.write(f"signing now: {signer.label} ({signer.serial})")
        except NoUsableSigner as e:
            self.stdout.write(f"signing now: none; {e.message_en}")
