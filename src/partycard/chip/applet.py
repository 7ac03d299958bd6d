"""The party card's applet: a pure ISO/IEC 7816-4 command handler over an ICAO 9303 file set.

Bytes in, bytes out (response data + SW1 SW2), no I/O; the PC/SC bridge and the tests drive
:meth:`Applet.process`. It answers SELECT, READ BINARY, GET CHALLENGE and INTERNAL AUTHENTICATE
(active authentication); it has no BAC/PACE and no secure messaging yet, so files are read in plain.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from partycard.chip.aa import AA_NONCE_LENGTH, der_to_plain
from partycard.chip.apdu import CommandApdu
from partycard.chip.errors import ApduFormatError
from partycard.chip.sw import StatusWord

__all__ = [
    "CHALLENGE_LENGTH",
    "FID_MF",
    "INS_GET_CHALLENGE",
    "INS_INTERNAL_AUTHENTICATE",
    "INS_READ_BINARY",
    "INS_SELECT",
    "Applet",
]

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_GET_CHALLENGE = 0x84
INS_INTERNAL_AUTHENTICATE = 0x88

FID_MF = 0x3F00
CHALLENGE_LENGTH = 8  # ICAO 9303-11 §4.3 (BAC): GET CHALLENGE returns an 8-byte RND.IC

_SELECT_MF_DF_EF = 0x00  # P1 00: MF, DF or EF by file identifier (or the MF with no data)
_SELECT_EF_UNDER_DF = 0x02  # P1 02: EF under the current DF
_SELECT_BY_DF_NAME = 0x04  # P1 04: by DF name, i.e. the application identifier
_P2_FCI = 0x00  # first occurrence, return FCI (optional; we return none)
_P2_NO_DATA = 0x0C  # first occurrence, no response data
_READ_BINARY_SFI_FLAG = 0x80  # P1 bit 8: bits 5-1 are a short EF identifier, P2 the offset
_SFI_RESERVED_BITS = 0x60  # P1 bits 7-6 must be 0 in SFI mode
_MAX_SFI = 0x1E  # 11111 is reserved (ISO/IEC 7816-4 §5.3.1.1)


def _sw(sw: StatusWord, data: bytes = b"") -> bytes:
    return data + sw.encode()


class Applet:
    """One card's applet: the application ``aid``, its EFs by file ID, and the chip's AA key.

    Args:
        aid: the application identifier (DF name) the terminal selects, e.g. the eMRTD ``A0000002471001``.
        files: EF contents keyed by 2-byte file ID (011E EF.COM, 0101 DG1, … 011D EF.SOD). EFs with an
            ICAO FID 01xx (xx ≤ 1E) can also be read by short EF identifier xx.
        sign: signs with the chip's private key, returning DER ECDSA-SHA256 (``KeyStore.sign``).
        random: the source of GET CHALLENGE bytes; inject a fixed one in tests.
        aa_coordinate_size: bytes of r and of s in the plain AA signature (32 for P-256).
        can: the card access number (6 digits) that PACE needs; None keeps the plain card of before PACE.
        card_access: EF.CardAccess (FID 011C under the MF), readable before PACE; required with ``can``.
        ca_key_agree: ECDH with the chip's static CA private key (the DG14 key): the terminal's
            ephemeral public point (uncompressed) in, the shared secret's x coordinate out. None: no CA.
    """

    def __init__(
        self,
        aid: bytes,
        files: Mapping[int, bytes],
        sign: Callable[[bytes], bytes],
        random: Callable[[int], bytes] = os.urandom,
        *,
        aa_coordinate_size: int = 32,
        can: str | None = None,
        card_access: bytes | None = None,
        ca_key_agree: Callable[[bytes], bytes] | None = None,
    ) -> None:
        if not 5 <= len(aid) <= 16:
            raise ValueError("an AID is 5 to 16 bytes (ISO/IEC 7816-4 §8.2.1.2)")
        if any(not 0 <= fid <= 0xFFFF or fid == FID_MF for fid in files):
            raise ValueError("file IDs are 2 bytes and not 3F00 (the MF)")
        self._aid = bytes(aid)
        self._files = {fid: bytes(content) for fid, content in files.items()}
        self._sign = sign
        self._random = random
        self._aa_size = aa_coordinate_size
        self._app_selected = False
        self._current_ef: int | None = None
        self._last_challenge: bytes | None = None
        if can is not None and (len(can) != 6 or not can.isdigit()):
            raise ValueError("the CAN is 6 decimal digits")
        if can is not None and card_access is None:
            raise ValueError("a PACE card needs EF.CardAccess to announce its parameters")
        self._can = can
        self._card_access = None if card_access is None else bytes(card_access)
        self._ca_key_agree = ca_key_agree

    @property
    def last_challenge(self) -> bytes | None:
        """The bytes of the last successful GET CHALLENGE, or None."""
        return self._last_challenge

    @property
    def current_ef(self) -> int | None:
        """The file ID of the current EF, or None."""
        return self._current_ef

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU with response data followed by SW1 SW2; never raises.

        Checks run in ISO order: length encoding (6700), CLA (6E00), INS (6D00), then the command's own.
        """
        try:
            command = CommandApdu.parse(apdu)
        except ApduFormatError:
            return _sw(StatusWord.WRONG_LENGTH)
        if command.cla != 0x00:
            # No secure messaging (CLA x C), no command chaining (bit 5), basic channel only.
            return _sw(StatusWord.CLA_NOT_SUPPORTED)
        handler = {
            INS_SELECT: self._select,
            INS_READ_BINARY: self._read_binary,
            INS_GET_CHALLENGE: self._get_challenge,
            INS_INTERNAL_AUTHENTICATE: self._internal_authenticate,
        }.get(command.ins)
        if handler is None:
            return _sw(StatusWord.INS_NOT_SUPPORTED)
        return handler(command)

    def _select(self, c: CommandApdu) -> bytes:
        # ISO/IEC 7816-4 §11.1.1. A failed SELECT leaves the current selection as it was.
        if c.p2 not in (_P2_FCI, _P2_NO_DATA):
            return _sw(StatusWord.INCORRECT_P1_P2)
        if c.p1 == _SELECT_BY_DF_NAME:
            if not c.data:
                return _sw(StatusWord.WRONG_LENGTH)
            if c.data != self._aid:  # exact match only; no partial DF names
                return _sw(StatusWord.FILE_NOT_FOUND)
            self._app_selected, self._current_ef = True, None
            return _sw(StatusWord.OK)
        if c.p1 not in (_SELECT_MF_DF_EF, _SELECT_EF_UNDER_DF):
            return _sw(StatusWord.INCORRECT_P1_P2)
        if c.p1 == _SELECT_MF_DF_EF and not c.data:
            fid = FID_MF  # §11.1.1: P1 00 with an absent data field selects the MF
        elif len(c.data) == 2:
            fid = int.from_bytes(c.data, "big")
        else:
            return _sw(StatusWord.WRONG_LENGTH)
        if fid == FID_MF and c.p1 == _SELECT_MF_DF_EF:
            self._app_selected, self._current_ef = False, None
            return _sw(StatusWord.OK)
        # The EFs live in the application DF: from the MF none of them is visible.
        if not self._app_selected or fid not in self._files:
            return _sw(StatusWord.FILE_NOT_FOUND)
        self._current_ef = fid
        return _sw(StatusWord.OK)

    def _read_binary(self, c: CommandApdu) -> bytes:
        # ISO/IEC 7816-4 §11.2.3, even INS B0: no data field, Ne bytes from the offset.
        if c.data or c.le is None:
            return _sw(StatusWord.WRONG_LENGTH)
        if c.p1 & _READ_BINARY_SFI_FLAG:
            if c.p1 & _SFI_RESERVED_BITS:
                return _sw(StatusWord.INCORRECT_P1_P2)
            sfi = c.p1 & 0x1F
            fid = 0x0100 | sfi  # ICAO 9303-10 §3.6.2: an LDS1 EF's SFI is the low byte of its FID
            if not self._app_selected or not 1 <= sfi <= _MAX_SFI or fid not in self._files:
                return _sw(StatusWord.FILE_NOT_FOUND)
            self._current_ef = fid  # reading by SFI makes that EF current
            offset = c.p2
        else:
            if self._current_ef is None:
                return _sw(StatusWord.NO_CURRENT_EF)
            fid = self._current_ef
            offset = (c.p1 << 8) | c.p2
        content = self._files[fid]
        if offset >= len(content):
            return _sw(StatusWord.WRONG_P1_P2)
        chunk = content[offset : offset + c.le]
        return _sw(StatusWord.OK if len(chunk) == c.le else StatusWord.END_OF_FILE, chunk)

    def _get_challenge(self, c: CommandApdu) -> bytes:
        # ISO/IEC 7816-4 §11.5.3: P1-P2 0000, no data, Ne = the challenge length (8 here).
        if c.p1 or c.p2:
            return _sw(StatusWord.INCORRECT_P1_P2)
        if c.data or c.le != CHALLENGE_LENGTH:
            return _sw(StatusWord.WRONG_LENGTH)
        challenge = self._random(CHALLENGE_LENGTH)
        self._last_challenge = challenge
        return _sw(StatusWord.OK, challenge)

    def _internal_authenticate(self, c: CommandApdu) -> bytes:
        # ICAO 9303-11 §6.1: P1-P2 0000, data = the terminal's 8-byte nonce, answer = plain signature.
        if c.p1 or c.p2:
            return _sw(StatusWord.INCORRECT_P1_P2)
        size = 2 * self._aa_size
        if len(c.data) != AA_NONCE_LENGTH or c.le is None or c.le < size:
            return _sw(StatusWord.WRONG_LENGTH)
        if not self._app_selected:
            return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)
        try:
            signature = der_to_plain(self._sign(c.data), self._aa_size)
        except Exception:  # a card never throws: a failed key operation is "no precise diagnosis"
            return _sw(StatusWord.NO_PRECISE_DIAGNOSIS)
        return _sw(StatusWord.OK, signature)
