"""The test PKI every verifier world stands on: a root with document signers in every state, a CRL and a
signed trust list, all in the key store given. tests/verify/conftest.py (the chip), tests/ecard/world.py
(the QR) and the vector generators in tests/vectors/ build on it.

The signers, each labelled ``{prefix}-ds-{name}``:

- ``good``: the everyday signer, signing since T0 for 90 days;
- ``revoked``: as ``good``, but revoked on the CRL;
- ``expired``: its certificate ended before the worlds' "now" (valid 100 days from T0 - 300 d);
- ``unlisted``: issued by the root, but not on the trust list (its kid is unknown to the verifier);
- ``chip_only``: on the list, but may sign only the chip (``PC``), not the e-card.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from cryptography import x509

from partycard.trust import pki
from partycard.trust.keystore import KeyStore
from partycard.trust.trustlist import ChipPolicy, TrustList, trustlist_build, trustlist_verify

__all__ = ["ROOT_CN", "SIGNERS", "T0", "PkiWorld", "build_pki", "trust_with_policy"]

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ROOT_CN = "CSCA Dang Cong san Viet Nam"
#: Every signer build_pki can issue, in the order it issues them.
SIGNERS = ("good", "revoked", "expired", "unlisted", "chip_only")

_SPECS: dict[str, dict[str, Any]] = {
    "good": dict(subject_cn="DS 1", valid_days=3650, private_key_usage_days=90, not_before=T0),
    "revoked": dict(subject_cn="DS 2", valid_days=3650, private_key_usage_days=90, not_before=T0),
    "expired": dict(
        subject_cn="DS 3", valid_days=100, private_key_usage_days=30, not_before=T0 - timedelta(days=300)
    ),
    "unlisted": dict(subject_cn="DS 4", valid_days=3650, private_key_usage_days=90, not_before=T0),
    "chip_only": dict(
        subject_cn="DS 5", valid_days=3650, private_key_usage_days=90, not_before=T0, document_types=("PC",)
    ),
}


@dataclass
class PkiWorld:
    """Root, signers (name → (label, certificate)) and the trust list document a verifier holds."""

    store: KeyStore
    root: x509.Certificate
    signers: dict[str, tuple[str, x509.Certificate]]
    trust_document: bytes

    #: When ``trust()`` verifies the list unless told; each world sets its own "now".
    now: ClassVar[datetime] = T0 + timedelta(days=3)

    def trust(self, now: datetime | None = None) -> TrustList:
        return trustlist_verify(self.trust_document, self.root, self.now if now is None else now)


def build_pki(
    store: KeyStore,
    prefix: str,
    *,
    cn: str = ROOT_CN,
    document_types: tuple[str, ...] = ("PC", "EC"),
    signers: Iterable[str] = SIGNERS,
    issued_at: datetime = T0 + timedelta(days=1),
) -> PkiWorld:
    """The root ``{prefix}-root`` named ``cn``, the ``signers`` asked for (``chip_only`` signs only ``PC``,
    the others ``document_types``), the trust list (signer ``{prefix}-tl``) of all but ``unlisted``, and
    its CRL revoking ``revoked``; the CRL and the list are issued at ``issued_at``, next update T0 + 8 d.
    """
    root_label = f"{prefix}-root"
    root = pki.root_create(
        store=store, label=root_label, subject_cn=cn, valid_years=15, not_before=T0 - timedelta(days=400)
    )
    issued = {}
    for name in signers:
        label = f"{prefix}-ds-{name}"
        certificate = pki.signer_issue(
            store=store,
            root_cert=root,
            root_label=root_label,
            signer_label=label,
            **{"document_types": document_types, **_SPECS[name]},
        )
        issued[name] = (label, certificate)
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
    revoked = issued.get("revoked")
    crl = pki.crl_issue(
        store=store,
        root_cert=root,
        root_label=root_label,
        revoked=[]
        if revoked is None
        else [(revoked[1].serial_number, issued_at, x509.ReasonFlags.key_compromise)],
        this_update=issued_at,
        next_update=T0 + timedelta(days=8),
        crl_number=1,
    )
    document = trustlist_build(
        store=store,
        signer_label=tl_label,
        signer_certificate=tl_signer,
        signers=[certificate for name, (_, certificate) in issued.items() if name != "unlisted"],
        crl=crl,
        issued_at=issued_at,
        next_update=T0 + timedelta(days=8),
    )
    return PkiWorld(store=store, root=root, signers=issued, trust_document=document)


def trust_with_policy(world: PkiWorld, prefix: str, *, aa_fallback: bool) -> TrustList:
    """``world``'s trust list signed again by its trust-list signer (``{prefix}-tl``), one number up, with
    the chip policy ``aa_fallback`` (format version 3), verified at the world's "now"."""
    held = world.trust()
    document = trustlist_build(
        store=world.store,
        signer_label=f"{prefix}-tl",
        signer_certificate=held.signer_certificate,
        signers=list(held.signers),
        crl=held.crl,
        issued_at=held.issued_at,
        next_update=held.next_update,
        sequence=held.sequence + 1,
        chip_policy=ChipPolicy(aa_fallback=aa_fallback),
    )
    return trustlist_verify(document, world.root, world.now)


@dataclass(frozen=True)
class SmallPki:
    """One root, one document signer (label ``ds``) and the signed trust list listing it."""

    root: x509.Certificate
    ds: x509.Certificate
    trust_document: bytes


def build_small_pki(
    store: KeyStore, *, now: datetime, name: str, document_types: Iterable[str] = ("PC", "EC")
) -> SmallPki:
    """A PKI dated around ``now`` (root 30 days back, signers 2 days back, CRL and list an hour back,
    next update in 7 days), labels ``root``, ``ds``, ``tl``; ``name`` ends each subject CN."""
    root = pki.root_create(
        store=store,
        label="root",
        subject_cn=f"CSCA {name}",
        valid_years=15,
        not_before=now - timedelta(days=30),
    )
    common: dict[str, Any] = {
        "store": store,
        "root_cert": root,
        "root_label": "root",
        "not_before": now - timedelta(days=2),
    }
    ds = pki.signer_issue(
        **common,
        signer_label="ds",
        subject_cn=f"DS {name}",
        valid_days=3650,
        private_key_usage_days=90,
        document_types=tuple(document_types),
    )
    tl = pki.trustlist_signer_issue(**common, signer_label="tl", subject_cn=f"TL {name}", valid_days=365)
    crl = pki.crl_issue(
        store=store,
        root_cert=root,
        root_label="root",
        revoked=[],
        this_update=now - timedelta(hours=1),
        next_update=now + timedelta(days=7),
        crl_number=1,
    )
    document = trustlist_build(
        store=store,
        signer_label="tl",
        signer_certificate=tl,
        signers=[ds],
        crl=crl,
        issued_at=now - timedelta(hours=1),
        next_update=now + timedelta(days=7),
    )
    return SmallPki(root, ds, document)
