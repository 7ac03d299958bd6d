"""The OID arc is a setting: certificates are issued, and read, under the arc the deployment configures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from partycard.trust import oids, pki
from partycard.trust.keystore.file import FileKeyStore
from tests.trust.conftest import Pki, make_pki

EXAMPLE_ARC = "2.999.17"  # under 2.999, the example arc of ITU-T X.660 §A.2


@pytest.fixture
def example_arc() -> Iterator[str]:
    oids.oid_arc_configure(EXAMPLE_ARC)
    try:
        yield EXAMPLE_ARC
    finally:
        oids.oid_arc_configure(oids.DEFAULT_ARC)


def test_the_default_is_the_documentation_arc() -> None:
    assert oids.DEFAULT_ARC == "1.3.6.1.4.1.32473.1"  # RFC 5612: IANA's example enterprise number
    assert oids.PARTYCARD_ARC == oids.DEFAULT_ARC
    assert oids.TRUST_LIST_SIGNING.dotted_string == "1.3.6.1.4.1.32473.1.2"


def test_certificates_carry_and_are_read_under_the_configured_arc(
    store: FileKeyStore, world: Pki, example_arc: str
) -> None:
    assert (oids.DOCUMENT_TYPE_LIST.dotted_string, oids.TRUST_LIST_SIGNING.dotted_string) == (
        "2.999.17.1",
        "2.999.17.2",
    )
    assert oids.MANUFACTURER.dotted_string == "2.999.17.3"
    fresh = make_pki(store)
    extensions = {e.oid.dotted_string for e in fresh.ds.extensions}
    assert "2.999.17.1" in extensions and "1.3.6.1.4.1.32473.1.1" not in extensions
    eku = fresh.tl_signer.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
    assert isinstance(eku, x509.ExtendedKeyUsage) and [o.dotted_string for o in eku] == ["2.999.17.2"]
    assert pki.document_types_of(fresh.ds) == ["PC"]
    # A signer made under another arc names no document type this deployment knows.
    assert pki.document_types_of(world.ds) == []


@pytest.mark.parametrize(
    "arc", ["", "1.3", "3.1.2", "1.40.1", "1.3.06.1", "1.3.6.", "a.b.c", " 1.3.6.1", "1.3.6.1\n"]
)
def test_not_an_arc_is_refused(arc: str) -> None:
    with pytest.raises(ValueError, match="OID arc"):
        oids.oid_arc_configure(arc)
    assert oids.PARTYCARD_ARC == oids.DEFAULT_ARC
