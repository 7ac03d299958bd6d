"""Assemble a party card's chip image: every LDS file, signed, keyed by file ID, ready to personalise.

One call makes the chip's active-authentication key, the data groups, EF.COM and EF.SOD, so no caller
can pair an SOD with data groups it did not hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from partycard.chip.lds import (
    DG_TAGS,
    FID_COM,
    FID_DG1,
    FID_DG2,
    FID_DG13,
    FID_DG14,
    FID_DG15,
    FID_SOD,
    CardData,
    com_build,
    dg1_build,
    dg2_build,
    dg13_build,
    dg14_build,
    dg15_build,
)
from partycard.chip.sod import signer_key_check, sod_build
from partycard.trust.keystore import KeyStore

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cryptography import x509

__all__ = ["ChipImage", "chip_image_build"]

# Data group number → file ID, for the data groups the party card carries.
_DG_FILES: dict[int, int] = {1: FID_DG1, 2: FID_DG2, 13: FID_DG13, 14: FID_DG14, 15: FID_DG15}


@dataclass(frozen=True, slots=True)
class ChipImage:
    """The EF contents keyed by 2-byte file ID (011E, 0101, 0102, 010D if the card has a status reference,
    010E, 010F, 011D) and the AA key's label."""

    files: Mapping[int, bytes]
    chip_key_label: str

    def data_group(self, number: int) -> bytes:
        """The exact bytes of data group ``number`` (KeyError if the card has none)."""
        return self.files[_DG_FILES[number]]


def chip_image_build(
    *,
    store: KeyStore,
    signer_label: str,
    signer_cert: x509.Certificate,
    card: CardData,
    photo_jpeg: bytes,
    chip_key_label: str,
    signed_at: datetime | None = None,
    status: tuple[str, int] | None = None,
) -> ChipImage:
    """Generate the chip's P-256 key under ``chip_key_label``, build every file and sign EF.SOD.

    On a real card the active-authentication key pair is generated on the chip and its private key
    never leaves it; here ``store`` stands in for the chip (its private key likewise never leaves the
    store), and the applet signs INTERNAL AUTHENTICATE through it. EF.SOD hashes DG1, DG2, DG13 (when
    there is one), DG14 and DG15 (9303-10 §4.6.2; EF.COM is not hashed).

    Args:
        signed_at: optional signingTime for EF.SOD (aware datetime).
        status: the card's status list reference ``(uri, index)``, written to DG13
            (:func:`~partycard.chip.lds.dg13_build`) so that a reader can check revocation offline;
            None writes no DG13 (how cards were signed before the reference existed; such a card
            reads "cannot tell" at a reader, docs/trust.md).

    Raises:
        ChipFormatError: a card field, the photo or the status reference cannot be encoded.
        SodSignerMismatch: ``signer_label`` does not hold ``signer_cert``'s key.
        KeyExists: ``chip_key_label`` is already used (labels are never reused).
    """
    # Encode and check first: bad input must fail before a key takes a label that cannot be reused.
    data_groups: dict[int, bytes] = {1: dg1_build(card), 2: dg2_build(photo_jpeg), 14: dg14_build()}
    if status is not None:
        uri, index = status
        data_groups[13] = dg13_build(uri=uri, index=index)
    signer_key_check(store=store, signer_label=signer_label, signer_cert=signer_cert)
    chip_key = store.generate(chip_key_label)
    data_groups[15] = dg15_build(chip_key)
    sod = sod_build(
        store=store,
        signer_label=signer_label,
        signer_cert=signer_cert,
        data_groups=data_groups,
        signed_at=signed_at,
    )
    files = {FID_COM: com_build(tags=tuple(DG_TAGS[n] for n in sorted(data_groups)))}
    files.update({_DG_FILES[n]: data for n, data in sorted(data_groups.items())})
    files[FID_SOD] = sod
    return ChipImage(files=MappingProxyType(files), chip_key_label=chip_key_label)
