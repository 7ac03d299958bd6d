"""A case's signed chip image: the files the manufacturer writes to the chip, kept for the production batch.

One per case. The chip's active-authentication private key stays in the key store under
``chip_key_label``, its chip-authentication key under ``ca_key_label``; only public data is stored here
(the data groups, EF.COM and the signed EF.SOD, EF.CardAccess) and the card access number, which is
printed on the card (chip/can.py: not a secret like a PIN, but never logged nor audited). A record
signed before PACE (issue 18) has no CAN, EF.CardAccess nor CA key: its chip reads in plain.

The file set is one binary column in this encoding (``chip_files_encode``): for each file, in ascending
file ID order, its 2-byte file ID, its 4-byte length (both big-endian) and its bytes; nothing else (no
header, no padding). ``chip_files_decode`` accepts only that.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager

__all__ = ["ChipImageRecord", "chip_files_decode", "chip_files_encode"]

_HEADER = struct.Struct(">HI")  # file ID (2 bytes), length (4 bytes), big-endian


def chip_files_encode(files: Mapping[int, bytes]) -> bytes:
    """The files as (FID, length, bytes) records in ascending FID order (see the module docstring).

    Raises:
        ValueError: a file ID outside 0000-FFFF or a file of 4 GiB or more.
    """
    out = bytearray()
    for fid in sorted(files):
        data = bytes(files[fid])
        if not 0 <= fid <= 0xFFFF:
            raise ValueError(f"file ID {fid:#x} does not fit in two bytes")
        if len(data) > 0xFFFFFFFF:
            raise ValueError(f"file {fid:04X} is too large")
        out += _HEADER.pack(fid, len(data)) + data
    return bytes(out)


def chip_files_decode(data: bytes) -> dict[int, bytes]:
    """The files of :func:`chip_files_encode`'s encoding.

    Raises:
        ValueError: a truncated record, a file ID repeated or out of ascending order.
    """
    files: dict[int, bytes] = {}
    view, offset, last = memoryview(bytes(data)), 0, -1
    while offset < len(view):
        if len(view) - offset < _HEADER.size:
            raise ValueError(f"truncated file header at offset {offset}")
        fid, length = _HEADER.unpack_from(view, offset)
        offset += _HEADER.size
        if fid <= last:
            raise ValueError(f"file {fid:04X} repeated or out of order")
        if len(view) - offset < length:
            raise ValueError(f"file {fid:04X} is truncated ({length} bytes announced)")
        files[fid] = bytes(view[offset : offset + length])
        offset += length
        last = fid
    return files


class ChipImageRecord(models.Model):
    """The signed chip image of one accepted case (written by ``services.chip_image_sign`` only)."""

    case = models.OneToOneField(
        "exchange.Case", verbose_name=_("exchange case"), on_delete=models.PROTECT, related_name="chip_image"
    )
    card_number = models.CharField(_("card number"), max_length=10)
    signer_label = models.CharField(_("document signer key"), max_length=64)
    signer_serial = models.CharField(_("document signer serial"), max_length=40)  # hex: 128-bit integers
    sod_sha256 = models.CharField(_("SHA-256 of EF.SOD"), max_length=64)  # hex
    chip_key_label = models.CharField(_("chip key"), max_length=64)
    files = models.BinaryField(_("chip files"))  # chip_files_encode
    can = models.CharField(_("card access number"), max_length=6, blank=True, default="")
    card_access = models.BinaryField(_("EF.CardAccess"), blank=True, default=b"")
    ca_key_label = models.CharField(_("chip authentication key"), max_length=64, blank=True, default="")
    signed_at = models.DateTimeField(_("signed at"))  # EF.SOD's signingTime
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # The case's scope: the subtree of the cell it was proposed in (the Centre sees every one).
    objects = ScopedManager["ChipImageRecord"]()
    scope_path = "case__path"
    scope_own = "case__member_id"

    class Meta:
        verbose_name = _("signed chip image")
        verbose_name_plural = _("signed chip images")
        constraints = [
            models.UniqueConstraint(fields=["card_number"], name="exchange_chip_image_card_number_unique"),
            models.UniqueConstraint(fields=["chip_key_label"], name="exchange_chip_image_key_label_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.card_number} ({self.case_id})"

    def __repr__(self) -> str:  # Django's default repr is str(); spelt out so the CAN never joins it
        return f"<ChipImageRecord: {self}>"

    def file_set(self) -> dict[int, bytes]:
        """The chip's application files by file ID (decoded from ``files``)."""
        return chip_files_decode(bytes(self.files))
