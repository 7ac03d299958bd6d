"""Assemble a party card's chip image: every LDS file, signed, keyed by file ID, ready to personalise.

One call makes the chip's two key pairs (active authentication, chip authentication), its card access
number and EF.CardAccess, the data groups, EF.COM and EF.SOD, so no caller can pair an SOD with data
groups it did not hash, nor a DG14 with a CA key the chip does not hold.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from partycard.chip.applet import Applet
from partycard.chip.can import can_check, can_generate
from partycard.chip.lds import (
    AID_LDS1,
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
from partycard.chip.securityinfos import card_access_build
from partycard.chip.sod import signer_key_check, sod_build
from partycard.trust.keystore import KeyStore

if TYPE_CHECKING:
    from cryptography import x509

__all__ = [
    "DEFAULT_PACE_PARAMETER_ID",
    "FID_CARD_ACCESS",
    "ChipImage",
    "ca_key_label_of",
    "chip_applet",
    "chip_image_build",
]

#: EF.CardAccess's file ID, under the MF (9303-10 §3.11.3): outside the LDS1 application, readable first.
FID_CARD_ACCESS = 0x011C
#: The PACE domain parameters EF.CardAccess announces unless told (9303-11 §9.5.1 Table 6): 12, NIST
#: P-256, the curve of every other key of the system (document signers, AA and CA keys, all in the
#: same HSMs), with constant-time optimised code in OpenSSL; 13 (brainpoolP256r1) is the other choice
#: 9303-11 allows, and the setting PARTYCARD_PACE_PARAMETER_ID switches to it (docs/trust.md).
DEFAULT_PACE_PARAMETER_ID = 12

# Data group number → file ID, for the data groups the party card carries.
_DG_FILES: dict[int, int] = {1: FID_DG1, 2: FID_DG2, 13: FID_DG13, 14: FID_DG14, 15: FID_DG15}


def ca_key_label_of(chip_key_label: str) -> str:
    """The chip-authentication key's label beside the AA key ``chip_key_label`` (``<label>.ca``)."""
    return f"{chip_key_label}.ca"


@dataclass(frozen=True, slots=True)
class ChipImage:
    """The application's EF contents keyed by 2-byte file ID (011E, 0101, 0102, 010D if the card has a
    status reference, 010E, 010F, 011D), EF.CardAccess (FID 011C, in the MF), the card access number
    printed on the card, and the labels of the AA key and the CA key.

    ``can`` opens the chip (9303-11 §4.4); keep it out of logs and audit rows (chip/can.py).
    """

    files: Mapping[int, bytes]
    chip_key_label: str
    can: str = ""
    card_access: bytes = b""
    ca_key_label: str = ""

    def __repr__(self) -> str:  # the CAN stays out of reprs, hence out of tracebacks and logs
        return f"ChipImage(files={sorted(self.files)!r}, chip_key_label={self.chip_key_label!r})"

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
    can: str | None = None,
    pace_parameter_id: int = DEFAULT_PACE_PARAMETER_ID,
) -> ChipImage:
    """Generate the chip's two P-256 keys, draw its CAN, build every file and sign EF.SOD.

    The active-authentication key goes under ``chip_key_label`` (its public half in DG15), the
    chip-authentication key under :func:`ca_key_label_of` (its public half in DG14). ICAO 9303-11 lets
    one key serve both (§6.2 and §6.1 name no constraint); we keep them apart so that the AA key only
    ever signs and the CA key only ever agrees keys: a signature oracle and an ECDH oracle on one key
    would let an attack on either protocol reach the other, and an HSM can enforce one purpose per key
    (``KeyStore.generate(agree=True)``: CKA_DERIVE without CKA_SIGN).

    On a real card both key pairs are generated on the chip and their private keys never leave it;
    here ``store`` stands in for the chip (its private keys likewise never leave the store), and the
    applet signs INTERNAL AUTHENTICATE and runs chip authentication's ECDH through it. EF.SOD hashes
    DG1, DG2, DG13 (when there is one), DG14 and DG15 (9303-10 §4.6.2; EF.COM is not hashed, and
    EF.CardAccess, outside the application, is not either: 9303-11 §9.2 makes the terminal check
    DG14's infos against it once PACE has run).

    Args:
        signed_at: optional signingTime for EF.SOD (aware datetime).
        status: the card's status list reference ``(uri, index)``, written to DG13
            (:func:`~partycard.chip.lds.dg13_build`) so that a reader can check revocation offline;
            None writes no DG13 (how cards were signed before the reference existed; such a card
            reads "cannot tell" at a reader, docs/trust.md).
        can: the card access number; None draws one from the CSPRNG (chip/can.py), as production does.
        pace_parameter_id: the PACE domain parameters EF.CardAccess announces (12 P-256, 13
            brainpoolP256r1; :data:`DEFAULT_PACE_PARAMETER_ID`).

    Raises:
        ChipFormatError: a card field, the photo or the status reference cannot be encoded.
        SodSignerMismatch: ``signer_label`` does not hold ``signer_cert``'s key.
        KeyExists: ``chip_key_label`` or its CA label is already used (labels are never reused).
        ValueError: ``can`` is not six digits, or ``pace_parameter_id`` is not 12 or 13.
    """
    # Encode and check first: bad input must fail before a key takes a label that cannot be reused.
    can = can_generate() if can is None else can_check(can)
    card_access = card_access_build(parameter_id=pace_parameter_id)
    data_groups: dict[int, bytes] = {1: dg1_build(card), 2: dg2_build(photo_jpeg)}
    if status is not None:
        uri, index = status
        data_groups[13] = dg13_build(uri=uri, index=index)
    signer_key_check(store=store, signer_label=signer_label, signer_cert=signer_cert)
    ca_key_label = ca_key_label_of(chip_key_label)
    chip_key = store.generate(chip_key_label)
    ca_key = store.generate(ca_key_label, agree=True)
    data_groups[14] = dg14_build(ca_public_key=ca_key)
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
    return ChipImage(
        files=MappingProxyType(files),
        chip_key_label=chip_key_label,
        can=can,
        card_access=card_access,
        ca_key_label=ca_key_label,
    )


def chip_applet(
    *,
    store: KeyStore,
    files: Mapping[int, bytes],
    chip_key_label: str,
    can: str = "",
    card_access: bytes = b"",
    ca_key_label: str = "",
    aid: bytes = AID_LDS1,
    random: Callable[[int], bytes] = os.urandom,
    pace_failures: int = 0,
) -> Applet:
    """The applet of a card whose keys are in ``store``: what the vpcd card, the demo and the tests run.

    ``can``, ``card_access`` and ``ca_key_label`` empty make the plain card of before PACE (a record
    signed before issue 18); given, the applet requires PACE with ``can`` before anything but
    EF.CardAccess, and answers chip authentication through ``store.derive`` (9303-11 §6.2).
    """
    ca_label = ca_key_label
    return Applet(
        aid,
        files,
        lambda message: store.sign(chip_key_label, message),
        random,
        can=can or None,
        card_access=card_access or None,
        ca_key_agree=(lambda point: store.derive(ca_label, point)) if ca_label else None,
        pace_failures=pace_failures,
    )


def chip_power_on(**chip: Any) -> Callable[[], Applet]:
    """An applet factory for :class:`~partycard.chip.vpcd.VirtualCard` (one applet per power-on) that
    keeps what a chip keeps in its memory across power-ons: the failed-PACE counter. Without it, pulling
    the card out and in again would reset the counter and give an attacker unlimited CAN guesses
    (chip/applet.py: PACE is suspended after ``PACE_ATTEMPT_LIMIT`` consecutive failures).

    ``chip``: :func:`chip_applet`'s keyword arguments (but ``pace_failures``).
    """
    last: list[Applet] = []

    def power_on() -> Applet:
        applet = chip_applet(**chip, pace_failures=last[0].pace_failures if last else 0)
        last[:] = [applet]
        return applet

    return power_on
