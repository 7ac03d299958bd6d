"""The terminal side: read a party card's files and ask it to sign a fresh nonce, over any transport.

:func:`card_read` speaks ISO/IEC 7816-4 to whatever implements :class:`Transport` — the PC/SC bridge
(:mod:`partycard.chip.pcsc`) in the field and in CI, an :class:`~partycard.chip.applet.Applet` in
memory in unit tests — and returns the bytes as the card gave them. It judges nothing: passive and
active authentication are :mod:`partycard.verify.chip`'s, so that a read can be checked again later
against a newer trust list.

The read order follows ICAO 9303-10 §3.9: SELECT the application, read EF.SOD and EF.COM, read every
data group that either lists, then INTERNAL AUTHENTICATE with an 8-byte nonce the reader draws itself.
A file the card does not have is left out (the verifier says which one is missing); only a card that
does not answer as a party card at all raises :class:`CardReadError`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from partycard.chip.aa import AA_NONCE_LENGTH
from partycard.chip.apdu import CommandApdu
from partycard.chip.errors import ChipError, ChipFormatError
from partycard.chip.lds import AID_LDS1, DG_TAGS, FID_COM, FID_SOD, com_parse
from partycard.chip.sod import sod_parse
from partycard.chip.sw import StatusWord

__all__ = ["CardRead", "CardReadError", "Transport", "card_read", "dg_fid"]

_HEADER_BYTES = 8  # tag (≤ 3) + length (≤ 5) of any LDS file
_MAX_OFFSET = 0x7FFF  # READ BINARY B0 with P1 bit 8 clear addresses 15 bits (ISO/IEC 7816-4 §11.2.3)
_MAX_FILE_BYTES = _MAX_OFFSET + 1
_SELECT_EF = (0x00, 0xA4, 0x02, 0x0C)  # EF under the current DF, no response data
_INTERNAL_AUTHENTICATE = (0x00, 0x88, 0x00, 0x00)
_NUMBER_OF_TAG = {tag: number for number, tag in DG_TAGS.items()}


class Transport(Protocol):
    """Sends one command APDU and returns the response APDU (data followed by SW1 SW2)."""

    def transmit(self, apdu: bytes) -> bytes: ...


class CardReadError(ChipError):
    """The card did not answer as a party card (no application, a protocol error, a cut connection)."""


@dataclass(frozen=True, slots=True)
class CardRead:
    """What one read got: files by FID, the nonce sent, and the card's answer to it (None if refused)."""

    files: Mapping[int, bytes]
    aa_nonce: bytes
    aa_signature: bytes | None
    aa_status: int
    #: EF.CardAccess as read (None: the card has none, i.e. no PACE).
    card_access: bytes | None = None
    #: "none" (no PACE: no CAN given or none announced), "ok", "failed" (the card refused the CAN),
    #: "required" (the card announces PACE and no CAN was given: ``files`` is empty).
    pace: str = "none"
    #: "none" (not attempted), "ok", "failed" (the chip did not prove possession of the DG14 key).
    chip_auth: str = "none"
    #: a short code when secure messaging broke mid-read ("sm_mac", "sm_counter", "sm_format", ...).
    channel_error: str | None = None


def dg_fid(number: int) -> int:
    """The file ID of data group ``number`` in the LDS1 application (9303-10 Table 39: 0101-0110)."""
    if not 1 <= number <= 16:
        raise ValueError(f"no data group {number}")
    return 0x0100 | number


def _split(response: bytes) -> tuple[bytes, int]:
    if len(response) < 2:
        raise CardReadError("the card's response has no status word")
    return response[:-2], int.from_bytes(response[-2:], "big")


class _Session:
    def __init__(self, transport: Transport, chunk: int) -> None:
        self._transport = transport
        self._chunk = chunk

    def send(self, command: CommandApdu) -> tuple[bytes, int]:
        return _split(self._transport.transmit(command.encode()))

    def select_application(self, aid: bytes) -> None:
        _, sw = self.send(CommandApdu(0x00, 0xA4, 0x04, 0x0C, aid))
        if sw != StatusWord.OK:
            raise CardReadError(f"the card has no party card application (SELECT answered {sw:04X})")

    def read_file(self, fid: int) -> bytes | None:
        """The whole EF ``fid``, or None if the card has no such file."""
        _, sw = self.send(CommandApdu(*_SELECT_EF, fid.to_bytes(2, "big")))
        if sw == StatusWord.FILE_NOT_FOUND:
            return None
        if sw != StatusWord.OK:
            raise CardReadError(f"SELECT of file {fid:04X} answered {sw:04X}")
        head = self._read(0, _HEADER_BYTES)
        try:
            total = _tlv_size(head)
        except ChipFormatError:
            return head  # not a TLV: hand the bytes to the verifier, which will say the file is malformed
        if total > _MAX_FILE_BYTES:
            raise CardReadError(f"file {fid:04X} claims {total} bytes, more than a party card file holds")
        data = bytearray(head[:total])
        while len(data) < total:
            data += self._read(len(data), min(self._chunk, total - len(data)))
        return bytes(data)

    def _read(self, offset: int, length: int) -> bytes:
        if offset > _MAX_OFFSET:
            raise CardReadError(f"offset {offset} is beyond what READ BINARY can address")
        data, sw = self.send(CommandApdu(0x00, 0xB0, offset >> 8, offset & 0xFF, le=length))
        if sw not in (StatusWord.OK, StatusWord.END_OF_FILE) or not data:
            raise CardReadError(f"READ BINARY at offset {offset} answered {sw:04X}")
        return data


def _tlv_size(head: bytes) -> int:
    """Tag + length + value size of the TLV that ``head`` starts (the value need not be there)."""
    i = 1
    if head and head[0] & 0x1F == 0x1F:
        while i < len(head) and head[i] & 0x80:
            i += 1
        i += 1
    if i >= len(head):
        raise ChipFormatError("truncated tag")
    first = head[i]
    if first < 0x80:
        return i + 1 + first
    count = first & 0x7F
    if not 1 <= count <= 4 or i + 1 + count > len(head):
        raise ChipFormatError("bad length field")
    return i + 1 + count + int.from_bytes(head[i + 1 : i + 1 + count], "big")


def _listed_data_groups(files: Mapping[int, bytes]) -> set[int]:
    """Data group numbers that EF.SOD hashes or EF.COM lists (either may be broken; both are read)."""
    numbers: set[int] = set()
    if FID_SOD in files:
        with contextlib.suppress(ChipFormatError):
            numbers |= set(sod_parse(files[FID_SOD]).data_group_hashes)
    if FID_COM in files:
        with contextlib.suppress(ChipFormatError):  # EF.COM is not signed; the SOD's list counts
            numbers |= {_NUMBER_OF_TAG[t] for t in com_parse(files[FID_COM]).tags if t in _NUMBER_OF_TAG}
    return numbers


def card_read(
    transport: Transport,
    *,
    can: str | None = None,
    aid: bytes = AID_LDS1,
    chunk: int = 0xE0,
    random: Callable[[int], bytes] = os.urandom,
) -> CardRead:
    """Read every file of the card behind ``transport`` and run INTERNAL AUTHENTICATE once.

    Args:
        chunk: bytes per READ BINARY. The default (224) fits a short APDU on every reader; raise it to
            use extended-length reads where the reader and card support them (fewer round trips).
        random: the nonce source; always the OS CSPRNG outside tests, so an answer recorded from an
            earlier session is useless (9303-11 §6.1).

    Raises:
        CardReadError: no party card application, or a transport or protocol failure.
    """
    if not 1 <= chunk <= 0xFFFF:
        raise ValueError("chunk must be 1..65535 bytes")
    session = _Session(transport, chunk)
    session.select_application(aid)
    files: dict[int, bytes] = {}
    for fid in (FID_SOD, FID_COM):
        content = session.read_file(fid)
        if content is not None:
            files[fid] = content
    for number in sorted(_listed_data_groups(files)):
        content = session.read_file(dg_fid(number))
        if content is not None:
            files[dg_fid(number)] = content
    nonce = random(AA_NONCE_LENGTH)
    answer, sw = session.send(CommandApdu(*_INTERNAL_AUTHENTICATE, nonce, le=256))
    return CardRead(
        files=MappingProxyType(files),
        aa_nonce=nonce,
        aa_signature=answer if sw == StatusWord.OK else None,
        aa_status=sw,
    )
