"""Object identifiers of the party card PKI that are not in RFC 5280, under partycard's own arc.

The arc is a deployment setting (``PARTYCARD["OID_ARC"]``, from the environment variable
``PARTYCARD_OID_ARC``): the app calls :func:`oid_arc_configure` at start (``core/apps.py``), since this
library imports no Django. The default, :data:`DEFAULT_ARC`, sits under ``1.3.6.1.4.1.32473``, IANA's
example enterprise number reserved for documentation (RFC 5612): development and tests only. Production
sets the arc the Government Cipher Committee registers; ``check --deploy`` warns while it is the default
(``core/checks.py``). Everything below the arc mirrors the ICAO 9303-12 arc it is modelled on.

The arc is written into every certificate the authority issues, and every verifier (``read-card``, the
offline web verifier, which receives it in its page's configuration) compares against it: issuers and
verifiers of one deployment must share it, and changing it means a new root and new signers.
"""

from __future__ import annotations

import re

from cryptography.x509 import ObjectIdentifier

__all__ = [
    "DEFAULT_ARC",
    "DOCUMENT_TYPE_LIST",
    "ECARD_DOCUMENT_TYPE",
    "MANUFACTURER",
    "PARTYCARD_ARC",
    "PARTY_CARD_DOCUMENT_TYPE",
    "TRUST_LIST_SIGNING",
    "oid_arc_configure",
]

DEFAULT_ARC = "1.3.6.1.4.1.32473.1"  # documentation arc (RFC 5612): not for a certificate that leaves a test

# X.660 §A.2 / X.690 §8.19: a first arc of 0-2, then non-negative integers without leading zeros; under
# 0 and 1 the second arc is below 40. At least three arcs, so that nothing standard is taken over.
_ARC = re.compile(r"([0-2])\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+")

PARTYCARD_ARC = DEFAULT_ARC

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


def oid_arc_configure(arc: str) -> None:
    """Put the private OIDs above under ``arc`` (dotted), for the whole process.

    Called once at start, before anything is signed or verified; the library's users read the OIDs as
    ``oids.TRUST_LIST_SIGNING`` (attribute access), so they see the configured values.

    Raises:
        ValueError: ``arc`` is not a dotted object identifier of at least three arcs.
    """
    global PARTYCARD_ARC, DOCUMENT_TYPE_LIST, TRUST_LIST_SIGNING, MANUFACTURER
    match = _ARC.fullmatch(arc) if isinstance(arc, str) else None
    if match is None or (match.group(1) in "01" and int(match.group(2)) >= 40):
        raise ValueError(f"the OID arc must be a dotted object identifier such as {DEFAULT_ARC}: {arc!r}")
    PARTYCARD_ARC = arc
    DOCUMENT_TYPE_LIST = ObjectIdentifier(arc + ".1")
    TRUST_LIST_SIGNING = ObjectIdentifier(arc + ".2")
    MANUFACTURER = ObjectIdentifier(arc + ".3")
