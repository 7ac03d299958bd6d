"""The demo's card manufacturer: a factory directory under ``VAR_DIR/factory`` whose keys the demo
authority certified, and the card layout's proof approved, so that ``make run`` can take a batch through
production (docs/production.md): plan and release it at ``/san-xuat/``, then run ``partycard-factory``
on the downloaded file. Demo data only: the factory's passphrase is public."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.core.management import call_command

from partycard.core import clock
from partycard.core.signing import manufacturer_current, pki_directory
from partycard.factory.cli import PASSPHRASE_ENV
from partycard.factory.cli import main as factory_main
from partycard.production.models import LayoutApproval
from partycard.production.services import layout_approve, layout_proof

__all__ = ["DEMO_FACTORY_PASSPHRASE", "load_production_demo"]

DEMO_FACTORY_PASSPHRASE = "demo-factory-passphrase-not-for-production"  # noqa: S105 - the demo's, public
DEMO_LAYOUT = "v2"  # prints the CAN: the demo's batches are PACE cards (partycard-batch/2)


def load_production_demo() -> Path | None:
    """Certify the demo factory (once) and approve the layout; the factory's directory, or None when the
    demo has no signing authority (no ``PARTYCARD_PKI_PASSPHRASE``)."""
    if not os.environ.get("PARTYCARD_PKI_PASSPHRASE") or not (pki_directory() / "root.pem").exists():
        return None
    os.environ.setdefault(PASSPHRASE_ENV, DEMO_FACTORY_PASSPHRASE)
    directory = Path(settings.VAR_DIR) / "factory"
    quiet = io.StringIO()
    if not (directory / "requests").exists():
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            factory_main(["init", str(directory), "--organization", "Nhà máy in thẻ (minh họa)"])
    if manufacturer_current(pki_directory(), clock.now()) is None:
        call_command(
            "pki",
            "manufacturer",
            "--organization",
            "Nhà máy in thẻ (minh họa)",
            "--signing-key",
            str(directory / "requests" / "signing.pub.pem"),
            "--encryption-key",
            str(directory / "requests" / "encryption.pub.pem"),
            stdout=quiet,
        )
    maker = manufacturer_current(pki_directory(), clock.now())
    if maker is not None and not (directory / "certs" / "signing.pem").exists():
        for name, cert in (("signing", maker.signing), ("encryption", maker.encryption)):
            (directory / f"issued-{name}.pem").write_bytes(cert.public_bytes(Encoding.PEM))
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            factory_main(
                [
                    "trust",
                    str(directory),
                    "--root",
                    str(pki_directory() / "root.pem"),
                    "--signing-cert",
                    str(directory / "issued-signing.pem"),
                    "--encryption-cert",
                    str(directory / "issued-encryption.pem"),
                ]
            )
    if not LayoutApproval.objects.filter(layout=DEMO_LAYOUT).exists():
        digest = hashlib.sha256(layout_proof(DEMO_LAYOUT)).hexdigest()
        layout_approve(actor=None, layout=DEMO_LAYOUT, proof_sha256=digest)
    return directory
