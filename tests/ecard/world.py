"""A party-card e-card world for the QR tests and the shared vectors: a root with document signers in
every state (each may sign ``PC`` and ``EC``), a signed trust list, a status list and a member's device
key, all in a real FileKeyStore. Plain functions, so that tests/vectors/make_qr_vectors.py uses them too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from partycard.ecard.qr import CardClaims, qr_credential_sign
from partycard.ecard.status import STATUS_INVALID, STATUS_SUSPENDED, StatusList
from partycard.trust.keystore import KeyStore
from tests.pki import ROOT_CN, T0, PkiWorld, build_pki

NOW = T0 + timedelta(days=3, hours=2, minutes=7, seconds=10)  # the trust list (next update T0 + 8 d) is fresh
STATUS_URI = "https://the.partycard.example/status/ec/1"
REVOKED_INDEX, SUSPENDED_INDEX, GOOD_INDEX = 3, 4, 7
DOCUMENT_TYPES = ("PC", "EC")


@dataclass
class QrWorld(PkiWorld):
    """Root, signers (name → (label, certificate)), the trust list document, the device key's label."""

    device_label: str
    now = NOW

    def device_sign(self, data: bytes) -> bytes:
        return self.store.sign(self.device_label, data)


def status_list(
    *, issued_at: datetime = T0 + timedelta(days=1), expires_at: datetime | None = None
) -> StatusList:
    """Sixteen 2-bit entries: index 3 revoked, 4 suspended, the others valid; fresh until T0 + 8 d."""
    entries = [0] * 16
    entries[REVOKED_INDEX] = STATUS_INVALID
    entries[SUSPENDED_INDEX] = STATUS_SUSPENDED
    raw = bytearray(len(entries) * 2 // 8)
    for index, value in enumerate(entries):  # the draft's order: least significant bits first
        raw[index * 2 // 8] |= value << (index * 2 % 8)
    return StatusList(
        uri=STATUS_URI,
        bits=2,
        statuses=bytes(raw),
        issued_at=issued_at,
        expires_at=expires_at or T0 + timedelta(days=8),
    )


def build_qr_world(store: KeyStore, prefix: str, cn: str = ROOT_CN) -> QrWorld:
    """tests/pki.py's world (each signer may sign ``PC`` and ``EC``, but ``chip_only``), a device key."""
    base = build_pki(store, prefix, cn=cn, document_types=DOCUMENT_TYPES)
    device_label = f"{prefix}-device"
    store.generate(device_label)
    return QrWorld(base.store, base.root, base.signers, base.trust_document, device_label)


def claims_for(world: QrWorld, signer: str = "good", **changes: object) -> CardClaims:
    """The member's claims, issued a day into ``signer``'s validity, for five years, device-bound."""
    issued = world.signers[signer][1].not_valid_before_utc + timedelta(days=1)
    claims = CardClaims(
        card_number="01.234.567",
        full_name="Nguyễn Thị Minh Khai",
        date_of_birth=date(1985, 7, 14),
        organisation_code="P01.02.003",
        member_status="official",
        issued_at=issued,
        expires_at=issued + timedelta(days=5 * 365),
        status_index=GOOD_INDEX,
        status_uri=STATUS_URI,
        device_key=world.store.public_key(world.device_label),
    )
    return replace(claims, **changes)  # type: ignore[arg-type]


def credential(world: QrWorld, signer: str = "good", **changes: object) -> bytes:
    """A genuine credential (COSE_Sign1 bytes) signed by ``signer``."""
    label, certificate = world.signers[signer]
    return qr_credential_sign(
        claims_for(world, signer, **changes),
        store=world.store,
        signer_label=label,
        signer_certificate=certificate,
    )
