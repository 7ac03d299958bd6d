"""The authority on disk: init, rollover, revoke and publish give a trust list every verifier accepts, with
the revoked signer on its CRL; a second init is refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from partycard.trust.authority import authority_init, authority_revoke, authority_rollover
from partycard.trust.errors import PkiParameterError
from partycard.trust.keystore.file import FileKeyStore
from partycard.trust.trustlist import trustlist_verify
from tests.trust.conftest import T0


def test_init_rollover_revoke_publish(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys", b"a long test passphrase")
    home = tmp_path / "pki"
    state = authority_init(store=store, directory=home, now=T0)
    root = x509.load_pem_x509_certificate((home / "root.pem").read_bytes())
    first = trustlist_verify((home / "trustlist.json").read_bytes(), root, T0)
    assert len(first.signers) == 1 and not first.stale and state.crl_number == 1
    assert sorted(store.labels()) == ["ds-1", "root", "trustlist-1"]
    assert not any(p.suffix == ".key" for p in home.iterdir())  # no key material beside the certificates

    second = authority_rollover(store=store, directory=home, now=T0 + timedelta(days=80))
    listed = trustlist_verify((home / "trustlist.json").read_bytes(), root, T0 + timedelta(days=80))
    assert {c.serial_number for c in listed.signers} == {first.signers[0].serial_number, second.serial_number}

    authority_revoke(store=store, directory=home, serial=second.serial_number, now=T0 + timedelta(days=81))
    after = trustlist_verify((home / "trustlist.json").read_bytes(), root, T0 + timedelta(days=81))
    assert after.is_revoked(second) and not after.is_revoked(first.signers[0])
    crl = x509.load_der_x509_crl((home / "root.crl").read_bytes())
    assert crl.is_signature_valid(root.public_key())
    assert crl.get_revoked_certificate_by_serial_number(second.serial_number) is not None
    assert trustlist_verify((home / "trustlist.json").read_bytes(), root, T0 + timedelta(days=90)).stale

    with pytest.raises(PkiParameterError):
        authority_init(store=store, directory=home, now=T0)
