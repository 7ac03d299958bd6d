"""Object identifiers of the party card PKI that are not in RFC 5280.

PLACEHOLDER: ``1.3.6.1.4.1.32473`` is IANA's example enterprise number, reserved for documentation
(RFC 5612). It must be replaced by an arc assigned to the Government Cipher Committee before any
certificate leaves a test system; everything below it mirrors the ICAO 9303-12 arc it is modelled on.
"""

from __future__ import annotations

from cryptography.x509 import ObjectIdentifier

__all__ = [
    "DOCUMENT_TYPE_LIST",
    "ECARD_DOCUMENT_TYPE",
    "MANUFACTURER",
    "PARTYCARD_ARC",
    "PARTY_CARD_DOCUMENT_TYPE",
    "TRUST_LIST_SIGNING",
]

PARTYCARD_ARC = "1.3.6.1.4.1.32473.1"  # PLACEHOLDER arc, see the module docstring

# Document types a DS may sign, like id-icao-mrtd-security-extensions-documentTypeList
# (2.23.136.1.1.6.2, 9303-12 §7.1.1.3): DocumentTypeListSyntax ::= SEQUENCE { version INTEGER (v0),
# docTypeList SET OF PrintableString }.
DOCUMENT_TYPE_LIST = ObjectIdentifier(PARTYCARD_ARC + ".1")

# Extended key usage of the trust-list signer, like the master list signer's
# id-icao-mrtd-security-cscaMasterListSigningKey (2.23.136.1.1.3, 9303-12 §7.1.1.2): it lets a
# verifier refuse a trust list signed by a document signer.
TRUST_LIST_SIGNING = ObjectIdentifier(PARTYCARD_ARC + ".2")

# Extended key usage of the card manufacturer's two certificates (signing its reports, receiving the
# batches): a document signer has no extended key usage and a manufacturer no document type, so neither
# can pass as the other (trust.pki.manufacturer_role, batches.sealing).
MANUFACTURER = ObjectIdentifier(PARTYCARD_ARC + ".3")

PARTY_CARD_DOCUMENT_TYPE = "PC"  # the chip card's EF.SOD
ECARD_DOCUMENT_TYPE = "EC"  # the electronic card: QR credential, SD-JWT VC, status lists
