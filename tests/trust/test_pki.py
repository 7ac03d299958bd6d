from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID, SignatureAlgorithmOID

from partycard.trust import oids, pki
from partycard.trust.errors import PkiParameterError, PkiStateMalformed, StoreKeyMismatch
from partycard.trust.keystore.file import FileKeyStore
from partycard.trust.state import PkiState
from tests.trust.conftest import T0, Pki, fresh_label


def _ext(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.Extension[x509.ExtensionType]:
    return certificate.extensions.get_extension_for_oid(oid)


def _verifies(issuer: x509.Certificate, certificate: x509.Certificate) -> None:
    key = issuer.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert certificate.signature_hash_algorithm is not None
    key.verify(
        certificate.signature,
        certificate.tbs_certificate_bytes,
        ec.ECDSA(certificate.signature_hash_algorithm),
    )


def test_root_profile(world: Pki) -> None:
    root = world.root
    assert root.version is x509.Version.v3
    assert root.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
    assert root.subject == root.issuer
    assert root.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Ban Cơ yếu Chính phủ"
    assert root.not_valid_before_utc == T0
    assert root.not_valid_after_utc == T0.replace(year=T0.year + 15)

    basic = _ext(root, ExtensionOID.BASIC_CONSTRAINTS)
    assert basic.critical
    assert basic.value == x509.BasicConstraints(ca=True, path_length=0)
    usage = _ext(root, ExtensionOID.KEY_USAGE)
    assert usage.critical
    assert isinstance(usage.value, x509.KeyUsage)
    assert usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature
    ski = _ext(root, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(world.store.public_key(world.root_label))
    _verifies(root, root)  # self-signed


def test_document_signer_profile(world: Pki) -> None:
    ds, root = world.ds, world.root
    assert ds.issuer == root.subject
    assert ds.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Ban Tổ chức Trung ương"
    assert ds.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
    assert ds.not_valid_after_utc == T0 + timedelta(days=3650)

    basic = _ext(ds, ExtensionOID.BASIC_CONSTRAINTS)
    assert basic.critical and basic.value == x509.BasicConstraints(ca=False, path_length=None)
    usage = _ext(ds, ExtensionOID.KEY_USAGE)
    assert usage.critical
    assert isinstance(usage.value, x509.KeyUsage)
    assert usage.value.digital_signature
    assert not (usage.value.key_cert_sign or usage.value.crl_sign or usage.value.content_commitment)

    aki = _ext(ds, ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
    root_ski = _ext(root, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
    assert isinstance(aki, x509.AuthorityKeyIdentifier) and isinstance(root_ski, x509.SubjectKeyIdentifier)
    assert aki.key_identifier == root_ski.digest
    assert _ext(ds, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value == x509.SubjectKeyIdentifier.from_public_key(
        world.store.public_key(world.ds_label)
    )

    period = _ext(ds, ExtensionOID.PRIVATE_KEY_USAGE_PERIOD)
    assert not period.critical
    assert isinstance(period.value, x509.PrivateKeyUsagePeriod)
    assert period.value.not_before == T0.replace(tzinfo=None)
    assert period.value.not_after == (T0 + timedelta(days=90)).replace(tzinfo=None)
    assert period.value.not_after < ds.not_valid_after_utc.replace(tzinfo=None)

    doc_types = _ext(ds, oids.DOCUMENT_TYPE_LIST)
    assert not doc_types.critical
    assert isinstance(doc_types.value, x509.UnrecognizedExtension)
    # DocumentTypeListSyntax { version 0, SET { PrintableString "PC" } }, DER byte for byte.
    assert doc_types.value.value == bytes.fromhex("3009020100310413025043")
    assert pki.document_types_of(ds) == ["PC"]
    assert pki.document_types_of(root) == []

    _verifies(root, ds)
    ds.verify_directly_issued_by(root)


def test_signer_key_usable_only_in_its_usage_period(world: Pki) -> None:
    assert pki.signer_key_usable(world.ds, T0)
    assert pki.signer_key_usable(world.ds, T0 + timedelta(days=90))
    assert not pki.signer_key_usable(world.ds, T0 + timedelta(days=90, seconds=1))
    assert not pki.signer_key_usable(world.ds, T0 - timedelta(seconds=1))
    # No usage period (the trust-list signer): the certificate validity decides.
    assert pki.signer_key_usable(world.tl_signer, T0 + timedelta(days=200))
    assert not pki.signer_key_usable(world.tl_signer, T0 + timedelta(days=366))


def test_serials_are_random_positive_16_bytes(world: Pki) -> None:
    serials = {c.serial_number for c in (world.root, world.ds, world.ds2, world.tl_signer)}
    assert len(serials) == 4
    for serial in serials:
        assert serial > 0
        assert len(serial.to_bytes(16, "big", signed=True)) == 16  # fits 16 octets as a positive INTEGER
        assert serial.bit_length() == 127


def test_trustlist_signer_has_its_extended_key_usage(world: Pki) -> None:
    eku = _ext(world.tl_signer, ExtensionOID.EXTENDED_KEY_USAGE)
    assert eku.critical
    assert isinstance(eku.value, x509.ExtendedKeyUsage)
    assert list(eku.value) == [oids.TRUST_LIST_SIGNING]
    assert pki.document_types_of(world.tl_signer) == []
    world.tl_signer.verify_directly_issued_by(world.root)


def test_crl_is_the_roots_and_lists_the_revoked_serial(world: Pki) -> None:
    crl, root = world.crl, world.root
    key = root.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert crl.is_signature_valid(key)
    assert crl.issuer == root.subject
    assert crl.last_update_utc == T0 + timedelta(days=1)
    assert crl.next_update_utc == T0 + timedelta(days=31)
    entry = crl.get_revoked_certificate_by_serial_number(world.ds2.serial_number)
    assert entry is not None
    assert entry.revocation_date_utc == T0 + timedelta(days=1)
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        is x509.ReasonFlags.key_compromise
    )
    assert crl.get_revoked_certificate_by_serial_number(world.ds.serial_number) is None
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 7
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert (
        aki.key_identifier == root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    )


def test_empty_crl_has_no_entries(world: Pki) -> None:
    crl = pki.crl_issue(
        store=world.store,
        root_cert=world.root,
        root_label=world.root_label,
        revoked=[],
        this_update=T0,
        next_update=T0 + timedelta(days=1),
        crl_number=0,
    )
    assert len(crl) == 0
    assert crl.get_revoked_certificate_by_serial_number(world.ds2.serial_number) is None


def test_crl_signed_by_another_root_does_not_verify_with_ours(world: Pki, other_world: Pki) -> None:
    key = world.root.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert not other_world.crl.is_signature_valid(key)


def test_usage_period_must_be_shorter_than_validity(world: Pki) -> None:
    with pytest.raises(PkiParameterError):
        pki.signer_issue(
            store=world.store,
            root_cert=world.root,
            root_label=world.root_label,
            signer_label=fresh_label("ds"),
            subject_cn="DS bad",
            valid_days=90,
            private_key_usage_days=90,
            not_before=T0,
        )


def test_wrong_root_label_is_refused(world: Pki, other_world: Pki) -> None:
    with pytest.raises(StoreKeyMismatch):
        pki.signer_issue(
            store=world.store,
            root_cert=world.root,
            root_label=other_world.root_label,
            signer_label=fresh_label("ds"),
            subject_cn="DS bad",
            valid_days=900,
            private_key_usage_days=90,
            not_before=T0,
        )


def test_naive_datetimes_are_refused(store: FileKeyStore) -> None:
    with pytest.raises(PkiParameterError):
        pki.root_create(
            store=store,
            label=fresh_label("root"),
            subject_cn="x",
            valid_years=1,
            not_before=datetime(2026, 1, 1),
        )


def test_state_rollover_revoke_crl_round_trip(world: Pki) -> None:
    state = PkiState(root_label=world.root_label)
    state.signer_record(label=world.ds_label, certificate=world.ds, role="document-signer")
    # Rollover: a new signer, recorded next to the old one.
    new_label = fresh_label("ds")
    new_ds = pki.signer_issue(
        store=world.store,
        root_cert=world.root,
        root_label=world.root_label,
        signer_label=new_label,
        subject_cn="DS 3",
        valid_days=3650,
        private_key_usage_days=90,
        not_before=T0 + timedelta(days=90),
    )
    state.signer_record(label=new_label, certificate=new_ds, role="document-signer")
    revoked_at = datetime(2026, 6, 1, tzinfo=UTC)
    state.revoke(serial=world.ds.serial_number, at=revoked_at, reason=x509.ReasonFlags.superseded)
    with pytest.raises(PkiParameterError):
        state.revoke(serial=world.ds.serial_number, at=revoked_at, reason=None)
    with pytest.raises(PkiParameterError):
        state.revoke(serial=12345, at=revoked_at, reason=None)

    restored = PkiState.from_json(state.to_json())
    assert restored == state
    crl = pki.crl_issue(
        store=world.store,
        root_cert=world.root,
        root_label=restored.root_label,
        revoked=restored.revoked(),
        this_update=revoked_at,
        next_update=revoked_at + timedelta(days=30),
        crl_number=restored.next_crl_number(),
    )
    entry = crl.get_revoked_certificate_by_serial_number(world.ds.serial_number)
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.superseded
    )
    assert crl.get_revoked_certificate_by_serial_number(new_ds.serial_number) is None
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
    with pytest.raises(PkiStateMalformed):
        PkiState.from_json("{}")
