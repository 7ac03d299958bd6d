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

Access control (ICAO 9303-11 §4.2, the chip access procedure): the reader first reads EF.CardAccess
(SELECT MF, READ BINARY by SFI 1C). If it announces PACE (id-PACE-ECDH-GM-AES-CBC-CMAC-128), the reader
runs PACE with the CAN and reads everything else over AES secure messaging; then, if DG14 announces
chip authentication, it runs CA and reads the rest on the CA session, so the data come on a channel
only the chip holding DG14's private key can speak. A card without EF.CardAccess is read in plain, as
before PACE. The outcome is in :attr:`CardRead.pace`, :attr:`CardRead.chip_auth` and
:attr:`CardRead.channel_error`; judging it is the verifier's.
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
from partycard.chip.ca import ca_terminal_run
from partycard.chip.errors import (
    ChipAuthenticationFailed,
    ChipError,
    ChipFormatError,
    PaceError,
    PaceRefused,
    SecureMessagingError,
)
from partycard.chip.lds import AID_LDS1, DG_TAGS, FID_COM, FID_DG14, FID_SOD, com_parse
from partycard.chip.pace import can_key, pace_terminal_run
from partycard.chip.securityinfos import CaInfo, PaceInfo, ca_info_parse, card_access_parse
from partycard.chip.sm import SecureMessaging, SessionKeys
from partycard.chip.sod import sod_parse
from partycard.chip.sw import StatusWord

__all__ = ["CardRead", "CardReadError", "Transport", "card_read", "dg_fid"]

_HEADER_BYTES = 8  # tag (≤ 3) + length (≤ 5) of any LDS file
_MAX_OFFSET = 0x7FFF  # READ BINARY B0 with P1 bit 8 clear addresses 15 bits (ISO/IEC 7816-4 §11.2.3)
_MAX_FILE_BYTES = _MAX_OFFSET + 1
_SELECT_EF = (0x00, 0xA4, 0x02, 0x0C)  # EF under the current DF, no response data
_SELECT_MF = CommandApdu(0x00, 0xA4, 0x00, 0x0C, b"\x3f\x00")  # ISO/IEC 7816-4 §11.1.1, the MF by FID
_SFI_CARD_ACCESS = 0x1C  # 9303-10 §3.11.3: EF.CardAccess, FID 011C, SFI 1C
#: READ BINARY under short-length SM: 223 bytes pad to 224, so DO'87' (4 + 224), DO'99' (4), DO'8E' (10)
#: and SW (2) fit the 258-byte short response.
_SM_SHORT_CHUNK = 0xDF
_SM_EXTENDED_OVERHEAD = 64  # room for the DOs and padding when reading with extended length
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
    aa_status: int  # the card's SW to INTERNAL AUTHENTICATE; 0 when it was not sent
    #: EF.CardAccess as read (None: the card has none, i.e. no PACE).
    card_access: bytes | None = None
    #: "none" (no PACE: no CAN given or none announced), "ok", "failed" (the card refused the CAN),
    #: "required" (the card announces PACE and no CAN was given: ``files`` is empty).
    pace: str = "none"
    #: "none" (not attempted), "ok", "failed" (the chip did not prove possession of the DG14 key).
    chip_auth: str = "none"
    #: a short code when secure messaging broke mid-read ("sm_mac", "sm_counter", "sm_format", ...).
    channel_error: str | None = None
    #: the card's status word when it refused PACE (6300 wrong CAN, 6983 suspended), else None.
    pace_status: int | None = None


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
        self._plain_chunk = chunk
        self._chunk = chunk
        self._sm: SecureMessaging | None = None
        self.answered = 0  # protected responses that verified since the keys last changed

    def start(self, keys: SessionKeys) -> None:
        """Protect every command from now on with ``keys`` (SSC 0, 9303-11 §9.8.2)."""
        self._sm = SecureMessaging(keys)
        self.answered = 0
        if self._plain_chunk <= 256:
            self._chunk = min(self._plain_chunk, _SM_SHORT_CHUNK)
        else:
            self._chunk = min(self._plain_chunk, 0xFFFF - _SM_EXTENDED_OVERHEAD)

    def send(self, command: CommandApdu) -> tuple[bytes, int]:
        """One command, protected if a session is open.

        Raises:
            SecureMessagingError: the protected response failed a check (the session is over).
        """
        if self._sm is None:
            return _split(self._transport.transmit(command.encode()))
        response = self._transport.transmit(self._sm.wrap_command(command).encode())
        answer = self._sm.unwrap_response(response)
        self.answered += 1
        return answer

    def select_application(self, aid: bytes) -> None:
        _, sw = self.send(CommandApdu(0x00, 0xA4, 0x04, 0x0C, aid))
        if sw != StatusWord.OK:
            raise CardReadError(f"the card has no party card application (SELECT answered {sw:04X})")

    def read_card_access(self) -> bytes | None:
        """EF.CardAccess from the MF, or None if the card has none (a card from before PACE)."""
        _, sw = self.send(_SELECT_MF)
        if sw != StatusWord.OK:
            return None
        head, sw = self.send(CommandApdu(0x00, 0xB0, 0x80 | _SFI_CARD_ACCESS, 0x00, le=_HEADER_BYTES))
        if sw not in (StatusWord.OK, StatusWord.END_OF_FILE) or not head:
            return None
        return self._read_rest(0x0100 | _SFI_CARD_ACCESS, head)

    def read_file(self, fid: int) -> bytes | None:
        """The whole EF ``fid``, or None if the card has no such file."""
        _, sw = self.send(CommandApdu(*_SELECT_EF, fid.to_bytes(2, "big")))
        if sw == StatusWord.FILE_NOT_FOUND:
            return None
        if sw != StatusWord.OK:
            raise CardReadError(f"SELECT of file {fid:04X} answered {sw:04X}")
        return self._read_rest(fid, self._read(0, _HEADER_BYTES))

    def _read_rest(self, fid: int, head: bytes) -> bytes:
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


def _pace_info(card_access: bytes | None) -> PaceInfo | None:
    if card_access is None:
        return None
    try:
        return card_access_parse(card_access)
    except ChipFormatError:
        return None  # nothing this reader can run: read as a card without PACE


def _ca_info(dg14: bytes | None) -> CaInfo | None:
    if dg14 is None:
        return None
    try:
        return ca_info_parse(dg14)
    except ChipFormatError:
        return None  # the verifier will find DG14 malformed; no CA on it


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
        can: the card access number printed on the card, for PACE. Without it a PACE card gives nothing
            but EF.CardAccess (``pace="required"``).
        chunk: bytes per READ BINARY. The default (224) fits a short APDU on every reader; raise it to
            use extended-length reads where the reader and card support them (fewer round trips).
            Under short-length secure messaging at most 223 (the DOs must fit the response).
        random: the nonce source (AA nonce, PACE keys); always the OS CSPRNG outside tests, so an answer
            recorded from an earlier session is useless (9303-11 §6.1).

    Raises:
        CardReadError: no party card application, or a transport or protocol failure.
        ValueError: ``can`` is not 6 digits, or ``chunk`` is out of range.
    """
    if not 1 <= chunk <= 0xFFFF:
        raise ValueError("chunk must be 1..65535 bytes")
    password_key = None if can is None else can_key(can)
    session = _Session(transport, chunk)
    card_access = session.read_card_access()
    info = _pace_info(card_access)
    empty: Mapping[int, bytes] = MappingProxyType({})
    if info is None:
        return _read_files(session, aid, random, card_access=card_access)
    if password_key is None:
        return CardRead(empty, b"", None, 0, card_access=card_access, pace="required")
    try:
        keys = pace_terminal_run(
            session.send, parameter_id=info.parameter_id, password_key=password_key, random=random
        )
    except PaceRefused as e:
        return CardRead(empty, b"", None, 0, card_access=card_access, pace="failed", pace_status=e.status)
    except PaceError:
        return CardRead(empty, b"", None, 0, card_access=card_access, pace="failed")
    session.start(keys)
    return _read_files(session, aid, random, card_access=card_access, pace="ok")


def _read_files(
    session: _Session,
    aid: bytes,
    random: Callable[[int], bytes],
    *,
    card_access: bytes | None,
    pace: str = "none",
) -> CardRead:
    files: dict[int, bytes] = {}
    chip_auth = "none"
    nonce, answer, status = b"", None, 0
    try:
        session.select_application(aid)
        if pace == "ok":
            # 9303-11 §4.2: chip authentication right after PACE, before the other files.
            dg14 = session.read_file(FID_DG14)
            if dg14 is not None:
                files[FID_DG14] = dg14
            ca_info = _ca_info(dg14)
            if ca_info is not None:
                try:
                    session.start(ca_terminal_run(session.send, ca_info))
                    chip_auth = "pending"  # proved by the first protected response on the new keys
                except ChipAuthenticationFailed:
                    chip_auth = "failed"  # refused: read on over PACE; the verifier names it
        for fid in (FID_SOD, FID_COM):
            content = session.read_file(fid)
            if content is not None:
                files[fid] = content
            if chip_auth == "pending" and session.answered:
                chip_auth = "ok"
        for number in sorted(_listed_data_groups(files)):
            if dg_fid(number) in files:
                continue
            content = session.read_file(dg_fid(number))
            if content is not None:
                files[dg_fid(number)] = content
        nonce = random(AA_NONCE_LENGTH)
        data, status = session.send(CommandApdu(*_INTERNAL_AUTHENTICATE, nonce, le=256))
        answer = data if status == StatusWord.OK else None
        if chip_auth == "pending" and session.answered:
            chip_auth = "ok"
    except SecureMessagingError as e:
        if chip_auth == "pending":
            chip_auth = "ok" if session.answered else "failed"
        return CardRead(
            MappingProxyType(files),
            nonce,
            None,
            0,
            card_access=card_access,
            pace=pace,
            chip_auth=chip_auth,
            channel_error=e.code,
        )
    return CardRead(
        files=MappingProxyType(files),
        aa_nonce=nonce,
        aa_signature=answer,
        aa_status=status,
        card_access=card_access,
        pace=pace,
        chip_auth=chip_auth,
    )
