"""The factory's last look at a finished chip: read it as a reader would and run passive and active
authentication against the Party's root, before the card leaves the line.

A bureau has no trust list (that is the verifiers'), so the document signer is checked against the
root directly: issued by it, valid at the time, allowed to sign party cards. Every failure is a reason;
a card with any reason is spoiled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.aa import aa_verify
from partycard.chip.errors import ChipError
from partycard.chip.lds import FID_DG14, FID_DG15, FID_SOD, dg15_parse
from partycard.chip.reader import Transport, card_read, dg_fid
from partycard.chip.sod import dg_hash, sod_parse
from partycard.trust.oids import PARTY_CARD_DOCUMENT_TYPE
from partycard.trust.pki import document_types_of

__all__ = ["REQUIRED_DATA_GROUPS", "chip_check"]

#: What a party card must carry and EF.SOD must hash: DG1 (face), DG2 (photo), DG14 (the AA algorithm,
#: 9303-11 §6.1: needed for ECDSA AA) and DG15 (the chip's key). DG13 only when the batch sent one.
REQUIRED_DATA_GROUPS = (1, 2, 14, 15)


def _signer_reasons(certificate: x509.Certificate, root: x509.Certificate, at: datetime) -> list[str]:
    reasons = []
    try:
        certificate.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        reasons.append("the document signer was not issued by the Party's root")
    if not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
        reasons.append("the document signer certificate is not valid now")
    try:
        types = document_types_of(certificate)
    except (ValueError, TypeError):
        types = []
    if PARTY_CARD_DOCUMENT_TYPE not in types:
        reasons.append("the document signer may not sign party cards")
    return reasons


def _sod_reasons(files: Mapping[int, bytes], root: x509.Certificate, at: datetime, dg15: bytes) -> list[str]:
    """Passive authentication (ICAO 9303-11 §5.1), with the DG15 we reported as the expected key."""
    try:
        sod = sod_parse(files[FID_SOD])
    except KeyError:
        return ["the chip has no EF.SOD"]
    except ChipError as e:
        return [f"EF.SOD cannot be read: {e}"]
    reasons = []
    numbers = sorted(set(REQUIRED_DATA_GROUPS) | set(sod.data_group_hashes))
    for number in numbers:
        content = files.get(dg_fid(number))
        expected = sod.data_group_hashes.get(number)
        if expected is None:
            reasons.append(f"EF.SOD does not cover DG{number}")
        elif content is None:
            reasons.append(f"DG{number} is signed but not on the chip")
        elif dg_hash(content) != expected:
            reasons.append(f"DG{number} on the chip is not the one EF.SOD signed")
    if sod.data_group_hashes.get(15) != dg_hash(dg15):
        reasons.append("EF.SOD does not sign the DG15 this chip reported")
    if hashlib.sha256(sod.lds_security_object_der).digest() != sod.message_digest:
        reasons.append("EF.SOD's content does not match its signed messageDigest")
    key = sod.certificate.public_key()
    try:
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise InvalidSignature
        key.verify(sod.signature, sod.signed_attrs_der, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        reasons.append("the EF.SOD signature does not verify")
    return reasons + _signer_reasons(sod.certificate, root, at)


def _access_reasons(pace: str, chip_auth: str, channel_error: str | None) -> list[str]:
    """A PACE card (batch /2) must open with its CAN (9303-11 §4.4) and prove its DG14 key on the
    channel (chip authentication, §6.2); the CAN itself is never named."""
    reasons = []
    if pace != "ok":
        reasons.append(f"PACE with the card's CAN did not succeed ({pace})")
    elif chip_auth != "ok":
        reasons.append(f"chip authentication did not succeed ({chip_auth})")
    if channel_error is not None:
        reasons.append(f"secure messaging broke during the read ({channel_error})")
    return reasons


def chip_check(
    transport: Transport,
    *,
    root: x509.Certificate,
    at: datetime,
    dg15: bytes,
    sod: bytes,
    can: str = "",
    dg14: bytes = b"",
) -> list[str]:
    """Read the chip behind ``transport`` (chip.reader.card_read: the reader's own APDUs and a fresh
    nonce) and return why it fails passive or active authentication; [] for a good card.

    Args:
        dg15: the DG15 file this chip reported in pass 1; EF.SOD must sign exactly it.
        sod: the EF.SOD partycard sent for this chip; the chip must carry exactly it.
        can: a batch /2 card's CAN: the chip is read with PACE, and PACE and chip authentication must
            both succeed. Empty for a batch /1 card (read in plain, as before).
        dg14: a batch /2 card's DG14 as reported (with the chip's CA key); the chip must carry it.
    """
    try:
        read = card_read(transport, can=can or None)
    except ChipError as e:
        return [f"the chip cannot be read: {e}"]
    if can:
        access = _access_reasons(read.pace, read.chip_auth, read.channel_error)
        if read.pace != "ok":
            return access
    else:
        access = []
    reasons = access + _sod_reasons(read.files, root, at, dg15)
    if dg14 and read.files.get(FID_DG14) != dg14:
        reasons.append("DG14 on the chip is not the one it reported")
    if read.files.get(FID_SOD) != sod:
        reasons.append("EF.SOD on the chip is not the one partycard sent")
    on_chip = read.files.get(FID_DG15)
    if on_chip != dg15:
        return [*reasons, "DG15 on the chip is not the one it reported"]
    if read.aa_signature is None:
        return [*reasons, f"the chip refused active authentication ({read.aa_status:04X})"]
    try:
        key = dg15_parse(on_chip).public_key
    except ChipError as e:
        return [*reasons, f"DG15 cannot be read: {e}"]
    # ICAO 9303-11 §6.1: the chip signs the reader's fresh nonce with the private key of DG15.
    if not aa_verify(key, read.aa_nonce, read.aa_signature):
        reasons.append("active authentication failed: the chip does not hold the DG15 key")
    return reasons
