"""The chip before and during personalisation: an applet with a life cycle, as a real card is made.

A new chip is in the *personalisation* state (ISO/IEC 7816-4:2005 §5.3.3.2, Table 13: LCS '03',
"initialisation state"). The manufacturer's machine then, in ISO commands only:

* SELECTs the application and reads the chip's serial with GET DATA (INS CA, P1-P2 = tag 'DF20', a
  private-class tag of ours: the value is the 8-byte serial, shown as 16 hex digits);
* CREATE FILE (ISO/IEC 7816-9:2004 §6.1, INS E0) and UPDATE BINARY (ISO/IEC 7816-4 §11.2.5, INS D6) for
  each EF;
* GENERATE ASYMMETRIC KEY PAIR (ISO/IEC 7816-8:2004 §5.1, INS 46): the P-256 key pair is made *inside*
  the chip object and only the public key comes out, as the public key template 7F49 holding tag 86,
  the uncompressed point (7816-8 §5.1, public key data objects for elliptic curves). P2 is the key
  reference (§5.1: "reference of the private key"): '00' the active-authentication key (DG15), '01' the
  chip-authentication key (DG14, 9303-11 §6.2); two keys, each for one purpose (chip/image.py says why);
* PUT DATA (ISO/IEC 7816-4 §11.4.6, INS DA) with tag 'DF21' (private class): the card access number
  PACE will need (9303-11 §4.4); it can be written, never read back;
* CREATE FILE of EF.CardAccess (FID 011C) with the MF current: the one EF outside the application
  (9303-10 §3.11.3), readable before PACE;
* ends personalisation with ACTIVATE FILE on the application (ISO/IEC 7816-9:2004 §6.4, INS 44; §5:
  a file goes from its initialisation state to "operational state (activated)", LCS '05').

Once operational, a chip given a CAN requires PACE with it (``Applet``), and only the reader's commands
work (SELECT, READ BINARY, GET CHALLENGE, INTERNAL AUTHENTICATE, GET DATA, and PACE's and chip
authentication's): UPDATE BINARY answers 6982 (the EFs' update access rule is "never" once
activated), CREATE FILE, GENERATE ASYMMETRIC KEY PAIR, PUT DATA and ACTIVATE FILE answer 6985 (not in
this life cycle state). No command returns a private key or the CAN, in any state.

The chip's persistent memory (serial, files, private key, life cycle) can be saved to a file and loaded
back (:func:`chip_state_save`, :func:`chip_state_load`): in the tests and in ``partycard-factory`` that
file *is* the physical card in the member's hand. On a real card this memory cannot be read out; the
file exists only because our card is a simulation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from enum import IntEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.apdu import CommandApdu
from partycard.chip.applet import FID_MF, INS_INTERNAL_AUTHENTICATE, INS_SELECT, Applet
from partycard.chip.errors import ApduFormatError, ChipFormatError, ChipStateMalformed
from partycard.chip.lds import AID_LDS1
from partycard.chip.sw import StatusWord
from partycard.chip.tlv import tlv_encode, tlv_parse

__all__ = [
    "CHIP_MEMORY_BYTES",
    "CHIP_STATE_FORMAT",
    "INS_ACTIVATE_FILE",
    "INS_CREATE_FILE",
    "INS_GENERATE_ASYMMETRIC_KEY_PAIR",
    "INS_GET_DATA",
    "INS_PUT_DATA",
    "INS_UPDATE_BINARY",
    "KEY_REF_AA",
    "KEY_REF_CA",
    "MAX_EF_BYTES",
    "SERIAL_BYTES",
    "TAG_CAN",
    "TAG_CHIP_SERIAL",
    "TAG_EC_PUBLIC_POINT",
    "TAG_PUBLIC_KEY_TEMPLATE",
    "LifeCycle",
    "PersoApplet",
    "chip_state_load",
    "chip_state_save",
]

INS_GENERATE_ASYMMETRIC_KEY_PAIR = 0x46  # ISO/IEC 7816-8:2004 §5.1
INS_CREATE_FILE = 0xE0  # ISO/IEC 7816-9:2004 §6.1
INS_UPDATE_BINARY = 0xD6  # ISO/IEC 7816-4 §11.2.5 (even INS: offset in P1-P2)
INS_ACTIVATE_FILE = 0x44  # ISO/IEC 7816-9:2004 §6.4
INS_GET_DATA = 0xCA  # ISO/IEC 7816-4 §11.4 (even INS: the tag in P1-P2)
INS_PUT_DATA = 0xDA  # ISO/IEC 7816-4 §11.4.6 (even INS: the tag in P1-P2, the value as data)

#: GENERATE ASYMMETRIC KEY PAIR's P2, the private key's reference (ISO/IEC 7816-8:2004 §5.1).
KEY_REF_AA = 0x00  # the active-authentication key, whose public half DG15 carries
KEY_REF_CA = 0x01  # the chip-authentication key, whose public half DG14 carries (9303-11 §9.2.6)
#: PUT DATA tag of the card access number: private class, as TAG_CHIP_SERIAL; write-only.
TAG_CAN = 0xDF21

#: GET DATA tag of the chip's serial: a primitive private-class tag (ISO/IEC 7816-4 §5.2, class bits 11),
#: since no interindustry tag names a chip serial (GlobalPlatform's CPLC '9F7F' carries a 4-byte one).
TAG_CHIP_SERIAL = 0xDF20
SERIAL_BYTES = 8
TAG_PUBLIC_KEY_TEMPLATE = 0x7F49  # ISO/IEC 7816-8 §5.1: the public key data objects' template
TAG_EC_PUBLIC_POINT = 0x86  # ... for elliptic curves, '86' is the public point (uncompressed here)

#: The EEPROM the EFs share: 144 KiB, a common size for an ID-card chip.
CHIP_MEMORY_BYTES = 144 * 1024
#: READ/UPDATE BINARY with P1 bit 8 clear address 15 bits (ISO/IEC 7816-4 §11.2.3), so no EF is larger.
MAX_EF_BYTES = 0x8000
CHIP_STATE_FORMAT = "partycard-chip/2"  # /2 adds the CAN, EF.CardAccess and the CA key (issue 18)
_CHIP_STATE_V1 = "partycard-chip/1"  # a chip personalised before PACE: still loads, reads in plain
_FID_CARD_ACCESS = 0x011C  # 9303-10 §3.11.3: EF.CardAccess, under the MF

_TAG_FCP, _TAG_FILE_SIZE, _TAG_FILE_DESCRIPTOR, _TAG_FILE_ID = 0x62, 0x80, 0x82, 0x83
_WORKING_EF_TRANSPARENT = 0x01  # ISO/IEC 7816-4 §7.4.5 Table 12 (2013): file descriptor byte 0 000 001
_RESERVED_FIDS = frozenset({FID_MF, 0x3FFF, 0xFFFF})  # ISO/IEC 7816-4 §7.1.1: MF, path marker, RFU
_UPDATE_SFI_FLAG, _SFI_RESERVED_BITS = 0x80, 0x60
_ACTIVATE_CURRENT, _ACTIVATE_BY_DF_NAME = 0x00, 0x04  # P1 as in SELECT (7816-9 §6.4 Table 7)


class LifeCycle(IntEnum):
    """The card's life cycle status byte (ISO/IEC 7816-4:2005 §5.3.3.2, Table 13)."""

    #: LCS '03', initialisation state: files, keys and data are being put on the chip.
    PERSONALISATION = 0x03
    #: LCS '05', operational state (activated): the card as the member holds it.
    OPERATIONAL = 0x05


def _sw(sw: StatusWord, data: bytes = b"") -> bytes:
    return data + sw.encode()


class PersoApplet(Applet):
    """A party card chip from blank to operational: :class:`Applet` plus the personalisation commands.

    Args:
        aid: the application's DF name (the LDS1 AID unless told).
        serial: the chip's 8-byte serial; a random one unless given (a fab writes it at manufacture).
        random: the GET CHALLENGE and serial source.
    """

    def __init__(
        self,
        aid: bytes = AID_LDS1,
        *,
        serial: bytes | None = None,
        random: Callable[[int], bytes] = os.urandom,
    ) -> None:
        super().__init__(aid, {}, self._chip_sign, random)
        self._serial = random(SERIAL_BYTES) if serial is None else bytes(serial)
        if len(self._serial) != SERIAL_BYTES:
            raise ValueError(f"a chip serial is {SERIAL_BYTES} bytes")
        self._key: ec.EllipticCurvePrivateKey | None = None
        self._ca_key: ec.EllipticCurvePrivateKey | None = None
        self._perso_can: str | None = None
        self._perso_card_access: bytes | None = None
        self._mf_ef = False  # the current EF is EF.CardAccess in the MF (being written)
        self._pace_armed = False  # activated with a CAN: everything goes through PACE (Applet)
        self._life_cycle = LifeCycle.PERSONALISATION

    @property
    def serial(self) -> str:
        """The chip's serial as 16 upper-case hex digits (what GET DATA 'DF20' returns, in hex)."""
        return self._serial.hex().upper()

    @property
    def life_cycle(self) -> LifeCycle:
        return self._life_cycle

    @property
    def files(self) -> Mapping[int, bytes]:
        """The EFs by file ID, as a reader could read them (read-only)."""
        return MappingProxyType(dict(self._files))

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey | None:
        """The chip's AA public key once generated (the private key has no accessor)."""
        return None if self._key is None else self._key.public_key()

    @property
    def ca_public_key(self) -> ec.EllipticCurvePublicKey | None:
        """The chip's CA public key once generated (the private key has no accessor)."""
        return None if self._ca_key is None else self._ca_key.public_key()

    @property
    def card_access(self) -> bytes | None:
        """EF.CardAccess as written (public: any reader reads it before PACE)."""
        return self._perso_card_access

    def _chip_agree(self, point: bytes) -> bytes:
        """ECDH with the CA key (9303-11 §6.2); a point off P-256 raises ValueError (SEC 1 §3.2.2.1)."""
        if self._ca_key is None:
            raise LookupError("no chip authentication key generated")
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        return self._ca_key.exchange(ec.ECDH(), peer)

    def _operational_access(self, pace_failures: int = 0) -> None:
        """Arm PACE and chip authentication as personalised: from activation on (and at every power-on of
        an activated chip), never while the machine is still writing it in plain.

        The base applet is set up again through its constructor (the contract of chip/applet.py) with
        the files, the CAN, EF.CardAccess and the CA key's ECDH: a power-on, as after activation a
        terminal resets the card anyway.
        """
        if self._perso_can is None and self._ca_key is None:
            return  # a chip personalised without PACE (before issue 18): plain, as it was
        Applet.__init__(
            self,
            self._aid,
            self._files,
            self._chip_sign,
            self._random,
            can=self._perso_can,
            card_access=self._perso_card_access,
            ca_key_agree=self._chip_agree if self._ca_key is not None else None,
            pace_failures=pace_failures,
        )
        self._pace_armed = self._perso_can is not None

    def _chip_sign(self, message: bytes) -> bytes:
        if self._key is None:
            raise LookupError("no key generated")
        return self._key.sign(message, ec.ECDSA(hashes.SHA256()))

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU; the personalisation commands here, the reader's in :class:`Applet`."""
        try:
            command = CommandApdu.parse(apdu)
        except ApduFormatError:
            return super().process(apdu)  # 6700, in the base's order
        if command.cla != 0x00 or self._pace_armed:
            # Once PACE is armed the card answers as the reader's applet only: nothing in plain but
            # EF.CardAccess and PACE (9303-11 §4.2); GET DATA and the perso commands are refused there.
            return super().process(apdu)
        if command.ins == INS_SELECT:
            self._mf_ef = False  # any selection ends the write of EF.CardAccess
        if command.ins == INS_INTERNAL_AUTHENTICATE and self._key is None:
            return _sw(StatusWord.REFERENCED_DATA_NOT_FOUND)  # no key to authenticate with yet
        handler = {
            INS_GENERATE_ASYMMETRIC_KEY_PAIR: self._generate_key_pair,
            INS_CREATE_FILE: self._create_file,
            INS_UPDATE_BINARY: self._update_binary,
            INS_ACTIVATE_FILE: self._activate_file,
            INS_GET_DATA: self._get_data,
            INS_PUT_DATA: self._put_data,
        }.get(command.ins)
        return super().process(apdu) if handler is None else handler(command)

    # --- personalisation -------------------------------------------------------------------------------

    def _personalising(self) -> bool:
        return self._life_cycle == LifeCycle.PERSONALISATION

    def _generate_key_pair(self, c: CommandApdu) -> bytes:
        # ISO/IEC 7816-8:2004 §5.1. Our profile: P1 00, P2 the private key's reference (KEY_REF_AA or
        # KEY_REF_CA), no control reference template, Le for the public key template.
        if not self._personalising():
            return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)
        if c.p1 or c.p2 not in (KEY_REF_AA, KEY_REF_CA):
            return _sw(StatusWord.INCORRECT_P1_P2)
        if c.data:
            return _sw(StatusWord.WRONG_DATA)
        if c.le is None or c.le < 70:  # 7F49 41 86 41 04 X Y
            return _sw(StatusWord.WRONG_LENGTH)
        if not self._app_selected:
            return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)
        if (self._key if c.p2 == KEY_REF_AA else self._ca_key) is not None:
            # One key per reference: a second one would orphan the DG15 (DG14) already reported.
            return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)
        key = ec.generate_private_key(ec.SECP256R1())
        if c.p2 == KEY_REF_AA:
            self._key = key
        else:
            self._ca_key = key
        point = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return _sw(StatusWord.OK, tlv_encode(TAG_PUBLIC_KEY_TEMPLATE, tlv_encode(TAG_EC_PUBLIC_POINT, point)))

    def _create_file(self, c: CommandApdu) -> bytes:
        # ISO/IEC 7816-9:2004 §6.1: P1-P2 0000, data = the FCP template (tag 62) of the new EF; the new
        # file becomes the current EF. Our chip takes transparent working EFs in the application DF.
        if not self._personalising():
            return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)
        if c.p1 or c.p2:
            return _sw(StatusWord.INCORRECT_P1_P2)
        if not c.data or c.le is not None:
            return _sw(StatusWord.WRONG_LENGTH)
        try:
            fcp = tlv_parse(c.data)
            if fcp.tag != _TAG_FCP or sorted(t.tag for t in fcp.children) != [
                _TAG_FILE_SIZE,
                _TAG_FILE_DESCRIPTOR,
                _TAG_FILE_ID,
            ]:
                return _sw(StatusWord.WRONG_DATA)
            size_tlv, descriptor, fid_tlv = (
                fcp.one(t) for t in (_TAG_FILE_SIZE, _TAG_FILE_DESCRIPTOR, _TAG_FILE_ID)
            )
        except ChipFormatError:
            return _sw(StatusWord.WRONG_DATA)
        if descriptor.value[:1] != bytes([_WORKING_EF_TRANSPARENT]) or len(fid_tlv.value) != 2:
            return _sw(StatusWord.WRONG_DATA)
        if not 1 <= len(size_tlv.value) <= 3:
            return _sw(StatusWord.WRONG_DATA)
        fid, size = int.from_bytes(fid_tlv.value, "big"), int.from_bytes(size_tlv.value, "big")
        if fid in _RESERVED_FIDS or size == 0:
            return _sw(StatusWord.WRONG_DATA)
        if not self._app_selected:
            # In the MF our chip has EF.CardAccess only (9303-10 §3.11.3); the rest is the application's.
            if fid != _FID_CARD_ACCESS:
                return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)
            if self._perso_card_access is not None:
                return _sw(StatusWord.FILE_EXISTS)
            if size > MAX_EF_BYTES:
                return _sw(StatusWord.NOT_ENOUGH_MEMORY)
            self._perso_card_access = bytes(size)
            self._current_ef, self._mf_ef = None, True
            return _sw(StatusWord.OK)
        if fid in self._files:
            return _sw(StatusWord.FILE_EXISTS)
        if size > MAX_EF_BYTES or sum(map(len, self._files.values())) + size > CHIP_MEMORY_BYTES:
            return _sw(StatusWord.NOT_ENOUGH_MEMORY)
        self._files[fid] = bytes(size)
        self._current_ef, self._mf_ef = fid, False
        return _sw(StatusWord.OK)

    def _update_binary(self, c: CommandApdu) -> bytes:
        # ISO/IEC 7816-4 §11.2.5, even INS D6: data written at the offset (P1-P2, or P2 with an SFI in P1).
        if not self._personalising():
            return _sw(StatusWord.SECURITY_STATUS_NOT_SATISFIED)
        if not c.data or c.le is not None:
            return _sw(StatusWord.WRONG_LENGTH)
        if c.p1 & _UPDATE_SFI_FLAG:
            if c.p1 & _SFI_RESERVED_BITS:
                return _sw(StatusWord.INCORRECT_P1_P2)
            fid = 0x0100 | (c.p1 & 0x1F)  # ICAO 9303-10 §3.6.2: an LDS1 EF's SFI is its FID's low byte
            if not self._app_selected or fid not in self._files:
                return _sw(StatusWord.FILE_NOT_FOUND)
            self._current_ef, offset = fid, c.p2
        elif self._mf_ef and not self._app_selected and self._perso_card_access is not None:
            # EF.CardAccess, just created in the MF: written as the application's EFs are.
            offset = (c.p1 << 8) | c.p2
            content = self._perso_card_access
            if offset >= len(content):
                return _sw(StatusWord.WRONG_P1_P2)
            if offset + len(c.data) > len(content):
                return _sw(StatusWord.NOT_ENOUGH_MEMORY)
            self._perso_card_access = content[:offset] + c.data + content[offset + len(c.data) :]
            return _sw(StatusWord.OK)
        else:
            if self._current_ef is None:
                return _sw(StatusWord.NO_CURRENT_EF)
            fid, offset = self._current_ef, (c.p1 << 8) | c.p2
        content = self._files[fid]
        if offset >= len(content):
            return _sw(StatusWord.WRONG_P1_P2)
        if offset + len(c.data) > len(content):
            return _sw(StatusWord.NOT_ENOUGH_MEMORY)  # "not enough memory space in the file"
        self._files[fid] = content[:offset] + c.data + content[offset + len(c.data) :]
        return _sw(StatusWord.OK)

    def _activate_file(self, c: CommandApdu) -> bytes:
        # ISO/IEC 7816-9:2004 §6.4: P1-P2 0000 with no data activates the current DF, P1 04 the DF named
        # in the data. Only the application can be activated here, and with it the card's personalisation
        # ends (7816-9 §5: initialisation state -> operational state, activated).
        if not self._personalising():
            return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)
        if c.p2 or c.p1 not in (_ACTIVATE_CURRENT, _ACTIVATE_BY_DF_NAME) or c.le is not None:
            return _sw(StatusWord.INCORRECT_P1_P2)
        if c.p1 == _ACTIVATE_BY_DF_NAME:
            if c.data != self._aid:
                return _sw(StatusWord.FILE_NOT_FOUND)
        elif c.data:
            return _sw(StatusWord.WRONG_LENGTH)
        elif not self._app_selected:
            return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)  # the current DF is the MF
        if (self._perso_can is None) != (self._perso_card_access is None):
            # A CAN without EF.CardAccess (or the reverse) makes a chip no reader can open.
            return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)
        self._life_cycle = LifeCycle.OPERATIONAL
        self._operational_access()
        return _sw(StatusWord.OK)

    def _get_data(self, c: CommandApdu) -> bytes:
        # ISO/IEC 7816-4 §11.4, even INS CA: P1-P2 a BER-TLV tag, no data; the value of that data object.
        if c.data or c.le is None:
            return _sw(StatusWord.WRONG_LENGTH)
        if (c.p1 << 8) | c.p2 != TAG_CHIP_SERIAL:
            return _sw(StatusWord.REFERENCED_DATA_NOT_FOUND)
        return _sw(StatusWord.OK, self._serial)

    def _put_data(self, c: CommandApdu) -> bytes:
        # ISO/IEC 7816-4 §11.4.6, even INS DA: P1-P2 the tag, data its value. Only the CAN, only while
        # personalising, only once; 6 ASCII digits (9303-11 §4.4; chip/can.py).
        if not self._personalising():
            return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)
        if (c.p1 << 8) | c.p2 != TAG_CAN:
            return _sw(StatusWord.REFERENCED_DATA_NOT_FOUND)
        if c.le is not None:
            return _sw(StatusWord.WRONG_LENGTH)
        if len(c.data) != 6 or not all(0x30 <= b <= 0x39 for b in c.data):
            return _sw(StatusWord.WRONG_DATA)
        if self._perso_can is not None:
            return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)
        self._perso_can = c.data.decode("ascii")
        return _sw(StatusWord.OK)

    # --- the persistent memory -------------------------------------------------------------------------

    def state_bytes(self) -> bytes:
        """The chip's persistent memory as canonical CBOR (see the module docstring: not readable on a
        real card). Volatile state (selection, last challenge) is not kept: loading is a power-on."""
        return cbor2.dumps(
            {
                "format": CHIP_STATE_FORMAT,
                "aid": self._aid,
                "serial": self._serial,
                "life_cycle": int(self._life_cycle),
                "files": dict(sorted(self._files.items())),
                "private_key": _private_key_dump(self._key),
                "ca_private_key": _private_key_dump(self._ca_key),
                "can": self._perso_can or "",
                "card_access": self._perso_card_access or b"",
                # The failed-PACE counter is persistent memory on a real chip (chip/applet.py).
                "pace_failures": self.pace_failures,
            },
            canonical=True,
        )

    @classmethod
    def from_state(cls, data: bytes, *, random: Callable[[int], bytes] = os.urandom) -> PersoApplet:
        """The chip whose memory :meth:`state_bytes` wrote, freshly powered on.

        Raises:
            ChipStateMalformed: not CBOR, another format, or a field missing or out of range.
        """
        try:
            state = cbor2.loads(data)
        except Exception as e:  # cbor2 raises several types on arbitrary bytes
            raise ChipStateMalformed(f"a chip state is CBOR: {e}") from e
        fields = {"format", "aid", "serial", "life_cycle", "files", "private_key"}
        if isinstance(state, dict) and state.get("format") == _CHIP_STATE_V1 and set(state) == fields:
            state = {**state, "ca_private_key": b"", "can": "", "card_access": b"", "pace_failures": 0}
        elif not isinstance(state, dict) or state.get("format") != CHIP_STATE_FORMAT:
            raise ChipStateMalformed(f"not a {CHIP_STATE_FORMAT} chip state")
        fields |= {"ca_private_key", "can", "card_access", "pace_failures"}
        if set(state) != fields:
            raise ChipStateMalformed(f"not a {CHIP_STATE_FORMAT} chip state")
        can, card_access = state["can"], state["card_access"]
        if not isinstance(can, str) or (can and not (len(can) == 6 and can.isascii() and can.isdigit())):
            raise ChipStateMalformed("the chip state's CAN is malformed")
        if (
            not isinstance(card_access, bytes)
            or len(card_access) > MAX_EF_BYTES
            or bool(can) != bool(card_access)
        ):
            raise ChipStateMalformed("the chip state's EF.CardAccess is malformed or without a CAN")
        failures = state["pace_failures"]
        if not isinstance(failures, int) or isinstance(failures, bool) or failures < 0:
            raise ChipStateMalformed("the chip state's failed-PACE counter is malformed")
        aid, serial, files = state["aid"], state["serial"], state["files"]
        if not isinstance(aid, bytes) or not isinstance(serial, bytes) or len(serial) != SERIAL_BYTES:
            raise ChipStateMalformed("the chip state's aid or serial is malformed")
        try:
            life_cycle = LifeCycle(state["life_cycle"])
        except ValueError as e:
            raise ChipStateMalformed(f"unknown life cycle {state['life_cycle']!r}") from e
        if not isinstance(files, dict) or not _files_ok(files):
            raise ChipStateMalformed("the chip state's files are malformed or exceed the chip's memory")
        try:
            chip = cls(aid, serial=serial, random=random)
        except ValueError as e:
            raise ChipStateMalformed(str(e)) from e
        chip._files = dict(files)
        chip._life_cycle = life_cycle
        chip._key = _private_key_load(state["private_key"])
        chip._ca_key = _private_key_load(state["ca_private_key"])
        chip._perso_can = can or None
        chip._perso_card_access = card_access or None
        if life_cycle == LifeCycle.OPERATIONAL:
            chip._operational_access(failures)
        return chip


def _files_ok(files: Mapping[Any, Any]) -> bool:
    return (
        all(
            isinstance(fid, int)
            and 0 <= fid <= 0xFFFF
            and fid not in _RESERVED_FIDS
            and isinstance(content, bytes)
            and 0 < len(content) <= MAX_EF_BYTES
            for fid, content in files.items()
        )
        and sum(len(content) for content in files.values()) <= CHIP_MEMORY_BYTES
    )


def _private_key_dump(key: ec.EllipticCurvePrivateKey | None) -> bytes:
    if key is None:
        return b""
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _private_key_load(data: Any) -> ec.EllipticCurvePrivateKey | None:
    if data == b"":
        return None
    try:
        key = serialization.load_der_private_key(data, password=None)
    except (TypeError, ValueError) as e:
        raise ChipStateMalformed("the chip state's private key is malformed") from e
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ChipStateMalformed("the chip's key must be P-256")
    return key


def chip_state_save(applet: PersoApplet, path: str | os.PathLike[str]) -> None:
    """Write the chip's memory to ``path`` atomically (a crash leaves the old file or the new, never half).

    The file stands for the physical card: whoever holds it holds the chip and its private key.
    """
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    with open(partial, "wb") as handle:
        handle.write(applet.state_bytes())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, target)


def chip_state_load(path: str | os.PathLike[str]) -> PersoApplet:
    """The chip saved at ``path``, powered on (no selection).

    Raises:
        ChipStateMalformed: the file is not a chip state.
        OSError: the file cannot be read.
    """
    return PersoApplet.from_state(Path(path).read_bytes())
