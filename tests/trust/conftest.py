"""A small PKI on a real FileKeyStore: root, two document signers, a trust-list signer, a CRL.

Module scope keeps the (deliberately slow) key encryption to one run per test module; tests that
need more keys generate them under fresh labels.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from partycard.trust import pki
from partycard.trust.keystore.file import FileKeyStore

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
_labels = itertools.count()


def fresh_label(prefix: str) -> str:
    return f"{prefix}-{next(_labels)}"


@dataclass
class Pki:
    store: FileKeyStore
    root: x509.Certificate
    root_label: str
    ds: x509.Certificate
    ds_label: str
    ds2: x509.Certificate
    tl_signer: x509.Certificate
    tl_label: str
    crl: x509.CertificateRevocationList


def make_pki(store: FileKeyStore, cn: str = "CSCA Dang Cong san Viet Nam") -> Pki:
    root_label, ds_label, tl_label = fresh_label("root"), fresh_label("ds"), fresh_label("tl")
    root = pki.root_create(store=store, label=root_label, subject_cn=cn, valid_years=15, not_before=T0)
    common = {"store": store, "root_cert": root, "root_label": root_label, "not_before": T0}
    ds = pki.signer_issue(
        **common, signer_label=ds_label, subject_cn="DS 1", valid_days=3650, private_key_usage_days=90
    )
    ds2 = pki.signer_issue(
        **common,
        signer_label=fresh_label("ds"),
        subject_cn="DS 2",
        valid_days=3650,
        private_key_usage_days=90,
    )
    tl_signer = pki.trustlist_signer_issue(
        **common, signer_label=tl_label, subject_cn="Trust list signer", valid_days=365
    )
    crl = pki.crl_issue(
        store=store,
        root_cert=root,
        root_label=root_label,
        revoked=[(ds2.serial_number, T0 + timedelta(days=1), x509.ReasonFlags.key_compromise)],
        this_update=T0 + timedelta(days=1),
        next_update=T0 + timedelta(days=31),
        crl_number=7,
    )
    return Pki(store, root, root_label, ds, ds_label, ds2, tl_signer, tl_label, crl)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FileKeyStore:
    return FileKeyStore(tmp_path_factory.mktemp("keys"), b"test passphrase")


@pytest.fixture(scope="module")
def world(store: FileKeyStore) -> Pki:
    return make_pki(store)


@pytest.fixture(scope="module")
def other_world(store: FileKeyStore) -> Pki:
    """A second, unrelated root with its own signers: what an attacker could set up."""
    return make_pki(store, cn="CSCA Attacker")
