"""A party-card e-card world for the QR tests and the shared vectors: a root with document signers in
every state (each may sign ``PC`` and ``EC``), a signed trust list, a status list and a member's device
key, all in a real FileKeyStore. Plain functions, so that tests/vectors/make_qr_vectors.py uses them too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography import x509

from partycard.ecard.qr import CardClaims, qr_credential_sign
from partycard.ecard.status import STATUS_INVALID, STATUS_SUSPENDED, StatusList
from partycard.trust import pki
from partycard.trust.keystore import KeyStore
from partycard.trust.trustlist import TrustList, trustlist_build, trustlist_verify

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=3, hours=2, minutes=7, seconds=10)  # the trust list (next update T0 + 8 d) is fresh
STATUS_URI = "https://the.partycard.example/status/ec/1"
REVOKED_INDEX, SUSPENDED_INDEX, GOOD_INDEX = 3, 4, 7
DOCUMENT_TYPES = ("PC", "EC")


@dataclass
class QrWorld:
    """Root, signers (name → (label, certificate)), the trust list document, the device key's label."""

    store: KeyStore
    root: x509.Certificate
    signers: dict[str, tuple[str, x509.Certificate]]
    trust_document: bytes
    device_label: str

    def trust(self, now: datetime = NOW) -> TrustList:
        return trustlist_verify(self.trust_document, self.root, now)

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


def build_qr_world(store: KeyStore, prefix: str, cn: str = "CSCA Dang Cong san Viet Nam") -> QrWorld:
    root_label = f"{prefix}-root"
    root = pki.root_create(
        store=store, label=root_label, subject_cn=cn, valid_years=15, not_before=T0 - timedelta(days=400)
    )
    specs: dict[str, dict[str, Any]] = {
        # The everyday signer: signing since T0 for 90 days, for the chip and the e-card.
        "good": dict(subject_cn="DS 1", valid_days=3650, private_key_usage_days=90, not_before=T0),
        # Revoked on the CRL below.
        "revoked": dict(subject_cn="DS 2", valid_days=3650, private_key_usage_days=90, not_before=T0),
        # Its certificate ended before NOW (valid 100 days from T0 - 300 d).
        "expired": dict(
            subject_cn="DS 3", valid_days=100, private_key_usage_days=30, not_before=T0 - timedelta(days=300)
        ),
        # Issued by the root, not on the trust list: its kid is unknown to the verifier.
        "unlisted": dict(subject_cn="DS 4", valid_days=3650, private_key_usage_days=90, not_before=T0),
        # On the list, but may sign only the chip (PC): not the e-card.
        "chip_only": dict(
            subject_cn="DS 5",
            valid_days=3650,
            private_key_usage_days=90,
            not_before=T0,
            document_types=("PC",),
        ),
    }
    signers = {}
    for name, kw in specs.items():
        label = f"{prefix}-ds-{name}"
        kw = {"document_types": DOCUMENT_TYPES, **kw}
        certificate = pki.signer_issue(
            store=store, root_cert=root, root_label=root_label, signer_label=label, **kw
        )
        signers[name] = (label, certificate)
    tl_label = f"{prefix}-tl"
    tl_signer = pki.trustlist_signer_issue(
        store=store,
        root_cert=root,
        root_label=root_label,
        signer_label=tl_label,
        subject_cn="TL",
        valid_days=365,
        not_before=T0,
    )
    crl = pki.crl_issue(
        store=store,
        root_cert=root,
        root_label=root_label,
        revoked=[
            (signers["revoked"][1].serial_number, T0 + timedelta(days=1), x509.ReasonFlags.key_compromise)
        ],
        this_update=T0 + timedelta(days=1),
        next_update=T0 + timedelta(days=8),
        crl_number=1,
    )
    document = trustlist_build(
        store=store,
        signer_label=tl_label,
        signer_certificate=tl_signer,
        signers=[signers[n][1] for n in ("good", "revoked", "expired", "chip_only")],
        crl=crl,
        issued_at=T0 + timedelta(days=1),
        next_update=T0 + timedelta(days=8),
    )
    device_label = f"{prefix}-device"
    store.generate(device_label)
    return QrWorld(store, root, signers, document, device_label)


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
