"""The party card's applet: a pure ISO/IEC 7816-4 command handler over an ICAO 9303 file set.

Bytes in, bytes out (response data + SW1 SW2), no I/O; the PC/SC bridge and the tests drive
:meth:`Applet.process`. It answers SELECT, READ BINARY, GET CHALLENGE and INTERNAL AUTHENTICATE
(active authentication).

Given a CAN, the applet is a PACE card (ICAO 9303-11 §4.4, §9.8):

* before PACE, only SELECT of the MF, SELECT of EF.CardAccess (011C under the MF), READ BINARY of it,
  MSE:Set AT and GENERAL AUTHENTICATE for PACE work; everything else answers 6982 (9303-11 §4.2: the
  chip's data are behind access control, EF.CardAccess is readable without it, 9303-10 §3.11.3);
* a failed PACE answers 6300 whichever step failed (the terminal learns nothing about which), and
  counts; after :data:`PACE_ATTEMPT_LIMIT` consecutive failed runs PACE is suspended and MSE:Set AT and
  GENERAL AUTHENTICATE answer 6983 (authentication method blocked). The count is kept before the run
  (incremented when the nonce goes out, reset by a successful run), so pulling the card mid-run does
  not save an attempt — the anti-tearing order real cards use for retry counters;
* after PACE every command must come with secure messaging (CLA x C). A secure messaging error ends the
  session: the applet drops the keys and answers 6987 / 6988 in plain (ISO/IEC 7816-4 §10.2, 9303-11
  §9.8: the chip aborts SM on an SM error or a plain APDU), so the terminal must run PACE again;
* with ``ca_key_agree``, chip authentication (9303-11 §6.2, ECDH, AES: MSE:Set AT 41A4 + GENERAL
  AUTHENTICATE with the terminal's ephemeral key, see :mod:`partycard.chip.ca`) replaces the session
  keys by keys from the chip's static DG14 key, with SSC back at 0.

Without a CAN it is the plain card it was before PACE: CLA 00 only, every file readable.

Why :data:`PACE_ATTEMPT_LIMIT` is 10: BSI TR-03110-2 gives the *PIN* a retry counter of 3 with a
suspension before blocking, and leaves the CAN — printed on the card, so not a secret from the holder —
without a blocking counter. A CAN guessed online against a card that is out of sight is the threat
here; 10 consecutive failures give an attacker a 10 / 10^6 chance, and leave room for a holder's typos.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from partycard.chip.aa import AA_NONCE_LENGTH, der_to_plain
from partycard.chip.apdu import CommandApdu
from partycard.chip.ca import CA_OID_BYTES, ca_chip_keys
from partycard.chip.errors import (
    ApduFormatError,
    ChipFormatError,
    PaceError,
    SecureMessagingError,
    SmMissingError,
    SmTruncatedError,
)
from partycard.chip.pace import PACE_OID_BYTES, PASSWORD_CAN, TAG_DYNAMIC_AUTH, PaceChip, can_key
from partycard.chip.securityinfos import card_access_parse
from partycard.chip.sm import CLA_SM, SecureMessaging, SessionKeys
from partycard.chip.sw import StatusWord
from partycard.chip.tlv import tlv_encode, tlv_parse, tlv_parse_many

__all__ = [
    "CHALLENGE_LENGTH",
    "FID_CARD_ACCESS",
    "FID_MF",
    "INS_GENERAL_AUTHENTICATE",
    "INS_GET_CHALLENGE",
    "INS_INTERNAL_AUTHENTICATE",
    "INS_MSE",
    "INS_READ_BINARY",
    "INS_SELECT",
    "PACE_ATTEMPT_LIMIT",
    "Applet",
]

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_GET_CHALLENGE = 0x84
INS_INTERNAL_AUTHENTICATE = 0x88
INS_MSE = 0x22  # ISO/IEC 7816-4 §11.5.11 MANAGE SECURITY ENVIRONMENT
INS_GENERAL_AUTHENTICATE = 0x86  # ISO/IEC 7816-4 §11.5.5

FID_MF = 0x3F00
FID_CARD_ACCESS = 0x011C  # 9303-10 §3.11.3: EF.CardAccess under the MF, SFI 1C
PACE_ATTEMPT_LIMIT = 10  # consecutive failed PACE runs before suspension (see the module docstring)
CHALLENGE_LENGTH = 8  # ICAO 9303-11 §4.3 (BAC): GET CHALLENGE returns an 8-byte RND.IC

_SELECT_MF_DF_EF = 0x00  # P1 00: MF, DF or EF by file identifier (or the MF with no data)
_SELECT_EF_UNDER_DF = 0x02  # P1 02: EF under the current DF
_SELECT_BY_DF_NAME = 0x04  # P1 04: by DF name, i.e. the application identifier
_P2_FCI = 0x00  # first occurrence, return FCI (optional; we return none)
_P2_NO_DATA = 0x0C  # first occurrence, no response data
_READ_BINARY_SFI_FLAG = 0x80  # P1 bit 8: bits 5-1 are a short EF identifier, P2 the offset
_SFI_RESERVED_BITS = 0x60  # P1 bits 7-6 must be 0 in SFI mode
_MAX_SFI = 0x1E  # 11111 is reserved (ISO/IEC 7816-4 §5.3.1.1)
_CLA_CHAINING = 0x10  # ISO/IEC 7816-4 §5.4.1: bit 5, command chaining (the first PACE steps)
_MSE_SET_AT_PACE = (0xC1, 0xA4)  # 9303-11 §4.4.4.1: set, AT for mutual authentication
_MSE_SET_AT_CA = (0x41, 0xA4)  # TR-03110-3 §B.11.1 (via 9303-11 §6.2): set, AT for internal auth.


def _sw(sw: StatusWord, data: bytes = b"") -> bytes:
    return data + sw.encode()


class Applet:
    """One card's applet: the application ``aid``, its EFs by file ID, and the chip's AA key.

    Args:
        aid: the application identifier (DF name) the terminal selects, e.g. the eMRTD ``A0000002471001``.
        files: EF contents keyed by 2-byte file ID (011E EF.COM, 0101 DG1, … 011D EF.SOD). EFs with an
            ICAO FID 01xx (xx ≤ 1E) can also be read by short EF identifier xx.
        sign: signs with the chip's private key, returning DER ECDSA-SHA256 (``KeyStore.sign``).
        random: the source of GET CHALLENGE bytes, PACE nonces and PACE keys; inject a fixed one in tests.
        aa_coordinate_size: bytes of r and of s in the plain AA signature (32 for P-256).
        can: the card access number (6 digits) that PACE needs; None keeps the plain card of before PACE.
        card_access: EF.CardAccess (FID 011C under the MF), readable before PACE; required with ``can``.
        ca_key_agree: ECDH with the chip's static CA private key (the DG14 key): the terminal's
            ephemeral public point (uncompressed) in, the shared secret's x coordinate out. None: no CA.
        pace_failures: the failed-PACE counter as the chip's memory kept it (:attr:`pace_failures`): a
            real chip keeps it across power-offs, so whoever persists the chip restores it here.
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
        pace_failures: int = 0,
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
        self._mf_files = {} if card_access is None else {FID_CARD_ACCESS: bytes(card_access)}
        self._password_key: bytes | None = None
        self._parameter_id: int | None = None
        if can is not None:
            if card_access is None:
                raise ValueError("a PACE card needs EF.CardAccess to announce its parameters")
            self._password_key = can_key(can)  # ValueError unless 6 digits
            try:
                self._parameter_id = card_access_parse(card_access).parameter_id
            except ChipFormatError as e:
                raise ValueError(f"EF.CardAccess announces no usable PACE: {e}") from e
        self._ca_key_agree = ca_key_agree
        self._pace: PaceChip | None = None
        self._pace_step = 0  # the next GENERAL AUTHENTICATE step (1-4) of a PACE run, 0 for none
        if pace_failures < 0:
            raise ValueError("pace_failures counts failures: 0 or more")
        self._pace_failures = pace_failures
        self._sm: SecureMessaging | None = None
        self._ca_ready = False  # MSE:Set AT for CA received in this session
        self._next_keys: SessionKeys | None = None  # CA's keys, in force after the GA response
        self._last_sm_error: str | None = None

    @property
    def last_challenge(self) -> bytes | None:
        """The bytes of the last successful GET CHALLENGE, or None."""
        return self._last_challenge

    @property
    def current_ef(self) -> int | None:
        """The file ID of the current EF, or None."""
        return self._current_ef

    @property
    def pace_failures(self) -> int:
        """Consecutive failed (or unfinished) PACE runs; PACE is suspended at :data:`PACE_ATTEMPT_LIMIT`."""
        return self._pace_failures

    @property
    def secure_messaging(self) -> bool:
        """Whether a secure messaging session is open (after PACE, until an SM error or a plain APDU)."""
        return self._sm is not None

    @property
    def last_sm_error(self) -> str | None:
        """The code of the last secure messaging error that ended a session (``sm_mac`` ...), or None."""
        return self._last_sm_error

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU with response data followed by SW1 SW2; never raises.

        Checks run in ISO order: length encoding (6700), CLA (6E00), INS (6D00), then the command's own.
        """
        try:
            command = CommandApdu.parse(apdu)
        except ApduFormatError:
            if self._sm is not None and apdu[:1] and apdu[0] & CLA_SM == CLA_SM:
                self._sm_abort(SmTruncatedError("the protected APDU's length fields do not match its body"))
            return _sw(StatusWord.WRONG_LENGTH)
        if self._password_key is not None and command.cla & CLA_SM == CLA_SM:
            return self._process_protected(command)
        if self._sm is not None:
            self._sm_abort(None)  # 9303-11 §9.8: a plain APDU ends secure messaging
        if self._password_key is None:
            if command.cla != 0x00:
                # A card without PACE: no secure messaging, no chaining, basic channel only.
                return _sw(StatusWord.CLA_NOT_SUPPORTED)
        elif command.cla not in (0x00, _CLA_CHAINING):
            return _sw(StatusWord.CLA_NOT_SUPPORTED)
        elif not self._allowed_before_pace(command):
            return _sw(StatusWord.SECURITY_STATUS_NOT_SATISFIED)
        return self._dispatch(command, protected=False)

    def _dispatch(self, command: CommandApdu, *, protected: bool) -> bytes:
        if command.cla == _CLA_CHAINING and command.ins != INS_GENERAL_AUTHENTICATE:
            return _sw(StatusWord.CLA_NOT_SUPPORTED)  # chaining only for PACE's GENERAL AUTHENTICATE
        handler = {
            INS_SELECT: self._select,
            INS_READ_BINARY: self._read_binary,
            INS_GET_CHALLENGE: self._get_challenge,
            INS_INTERNAL_AUTHENTICATE: self._internal_authenticate,
        }.get(command.ins)
        if handler is not None:
            return handler(command)
        if self._password_key is not None and command.ins == INS_MSE:
            return self._mse(command, protected=protected)
        if self._password_key is not None and command.ins == INS_GENERAL_AUTHENTICATE:
            if protected:
                return self._ca_general_authenticate(command)
            return self._pace_general_authenticate(command)
        return _sw(StatusWord.INS_NOT_SUPPORTED)

    # --- access control before PACE --------------------------------------------------------------------

    def _allowed_before_pace(self, c: CommandApdu) -> bool:
        """9303-11 §4.2 / 9303-10 §3.11.3: only the MF, EF.CardAccess and PACE itself without SM."""
        if c.ins in (INS_MSE, INS_GENERAL_AUTHENTICATE):
            return True
        if c.ins == INS_SELECT:
            if c.p1 == _SELECT_MF_DF_EF and c.data in (b"", FID_MF.to_bytes(2, "big")):
                return True
            return (
                c.p1 in (_SELECT_MF_DF_EF, _SELECT_EF_UNDER_DF)
                and not self._app_selected
                and c.data == FID_CARD_ACCESS.to_bytes(2, "big")
            )
        if c.ins == INS_READ_BINARY and not self._app_selected:
            if c.p1 & _READ_BINARY_SFI_FLAG:
                return c.p1 == _READ_BINARY_SFI_FLAG | (FID_CARD_ACCESS & 0x1F)
            return self._current_ef == FID_CARD_ACCESS
        return False

    # --- secure messaging --------------------------------------------------------------------------------

    def _sm_abort(self, error: SecureMessagingError | None) -> None:
        """Drop the session keys (and any half-done chip authentication)."""
        self._sm, self._ca_ready, self._next_keys = None, False, None
        if error is not None:
            self._last_sm_error = error.code

    def _process_protected(self, command: CommandApdu) -> bytes:
        if self._sm is None:
            return _sw(StatusWord.SECURITY_STATUS_NOT_SATISFIED)  # no session: nothing to check it with
        try:
            plain = self._sm.unwrap_command(command)
        except SecureMessagingError as e:
            self._sm_abort(e)
            missing = isinstance(e, SmMissingError)
            return _sw(StatusWord.SM_OBJECTS_MISSING if missing else StatusWord.SM_OBJECTS_INCORRECT)
        if plain.cla != 0x00:
            response = _sw(StatusWord.CLA_NOT_SUPPORTED)
        else:
            response = self._dispatch(plain, protected=True)
        wrapped = self._wrap_response(response[:-2], int.from_bytes(response[-2:], "big"))
        if self._next_keys is not None:  # chip authentication: the new keys from the next command on
            self._sm, self._next_keys = SecureMessaging(self._next_keys), None
        return wrapped

    def _wrap_response(self, data: bytes, sw: int) -> bytes:
        """Protect one response under the session (a hook: a test's hostile chip overrides it)."""
        assert self._sm is not None
        return self._sm.wrap_response(data, sw)

    # --- PACE ----------------------------------------------------------------------------------------

    def _pace_suspended(self) -> bool:
        return self._pace_failures >= PACE_ATTEMPT_LIMIT

    def _mse(self, c: CommandApdu, *, protected: bool) -> bytes:
        # ISO/IEC 7816-4 §11.5.11: MSE:Set AT, the control reference template for authentication.
        try:
            objects = {item.tag: item.value for item in tlv_parse_many(c.data)} if c.data else {}
        except ChipFormatError:
            return _sw(StatusWord.WRONG_DATA)
        if (c.p1, c.p2) == _MSE_SET_AT_PACE and not protected:
            # 9303-11 §4.4.4.1: 80 the protocol OID, 83 the password reference, 84 the parameter ID.
            self._pace, self._pace_step = None, 0
            if self._pace_suspended():
                return _sw(StatusWord.AUTHENTICATION_METHOD_BLOCKED)
            if objects.get(0x80) != PACE_OID_BYTES or set(objects) - {0x80, 0x83, 0x84}:
                return _sw(StatusWord.WRONG_DATA)
            if objects.get(0x83) != bytes((PASSWORD_CAN,)):
                return _sw(StatusWord.REFERENCED_DATA_NOT_FOUND)  # only the CAN: no MRZ, PIN or PUK
            if 0x84 in objects and objects[0x84] != bytes((self._parameter_id or 0,)):
                return _sw(StatusWord.REFERENCED_DATA_NOT_FOUND)
            assert self._password_key is not None and self._parameter_id is not None
            self._pace = PaceChip(self._parameter_id, self._password_key, random=self._random)
            self._pace_step = 1
            return _sw(StatusWord.OK)
        if (c.p1, c.p2) == _MSE_SET_AT_CA and protected:
            # TR-03110-3 §B.11.1: 80 the CA protocol OID, 84 the key ID (we have one key: none or any).
            if self._ca_key_agree is None:
                return _sw(StatusWord.REFERENCED_DATA_NOT_FOUND)
            if objects.get(0x80) != CA_OID_BYTES or set(objects) - {0x80, 0x84}:
                return _sw(StatusWord.WRONG_DATA)
            self._ca_ready = True
            return _sw(StatusWord.OK)
        return _sw(StatusWord.INCORRECT_P1_P2)

    def _pace_general_authenticate(self, c: CommandApdu) -> bytes:
        # 9303-11 §4.4.4.2: four chained GENERAL AUTHENTICATE. Every failure answers 6300 and ends the
        # run, so a wrong CAN (which only step 4 can reveal) looks the same as anything else.
        pace, step = self._pace, self._pace_step
        if step <= 1 and self._pace_suspended():  # checked before a run counts, not in its middle
            return _sw(StatusWord.AUTHENTICATION_METHOD_BLOCKED)
        if pace is None or step == 0:
            return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)  # no MSE:Set AT for PACE before
        self._pace, self._pace_step = None, 0  # restored below only if this step succeeds
        try:
            if c.p1 or c.p2 or c.le is None or (c.cla == _CLA_CHAINING) != (step < 4):
                raise PaceError("wrong P1-P2, Le or chaining for this step")
            template = tlv_parse(c.data)
            if template.tag != TAG_DYNAMIC_AUTH:
                raise PaceError("not dynamic authentication data")
            inner = {item.tag: item.value for item in template.children}
            expected = {1: set(), 2: {0x81}, 3: {0x83}, 4: {0x85}}[step]
            if set(inner) != expected:
                raise PaceError("the wrong data object for this step")
            if step == 1:
                self._pace_failures += 1  # counted before the nonce goes out; a success resets it
                out = tlv_encode(0x80, pace.encrypted_nonce())
            elif step == 2:
                out = tlv_encode(0x82, pace.map_nonce(inner[0x81]))
            elif step == 3:
                out = tlv_encode(0x84, pace.agree(inner[0x83]))
            else:
                token, keys = pace.finish(inner[0x85])
                out = tlv_encode(0x86, token)
                self._pace_failures = 0
                self._sm = SecureMessaging(keys)  # 9303-11 §9.8.2: SSC = 0 for AES
                self._app_selected, self._current_ef = False, None
        except (PaceError, ChipFormatError, ValueError):
            return _sw(StatusWord.AUTHENTICATION_FAILED)
        if step < 4:
            self._pace, self._pace_step = pace, step + 1
        return _sw(StatusWord.OK, tlv_encode(TAG_DYNAMIC_AUTH, out))

    def _ca_general_authenticate(self, c: CommandApdu) -> bytes:
        # 9303-11 §6.2 with TR-03110-3 §B.11.2: 7C{80 the terminal's ephemeral public key} -> 7C{}.
        if not self._ca_ready or self._ca_key_agree is None:
            return _sw(StatusWord.CONDITIONS_NOT_SATISFIED)
        if c.p1 or c.p2:
            return _sw(StatusWord.INCORRECT_P1_P2)
        try:
            template = tlv_parse(c.data)
            point = template.one(0x80).value if template.tag == TAG_DYNAMIC_AUTH else None
        except ChipFormatError:
            point = None
        if point is None:
            return _sw(StatusWord.WRONG_DATA)
        try:
            keys = ca_chip_keys(self._ca_key_agree, point)
        except Exception:  # a bad point or a failed key: the card never throws
            return _sw(StatusWord.WRONG_DATA)
        self._ca_ready, self._next_keys = False, keys
        return _sw(StatusWord.OK, tlv_encode(TAG_DYNAMIC_AUTH, b""))

    # --- the file commands ---------------------------------------------------------------------------

    def _visible(self) -> dict[int, bytes]:
        """The EFs of the current DF: the application's, or the MF's (EF.CardAccess)."""
        return self._files if self._app_selected else self._mf_files

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
        # The application's EFs live in its DF, EF.CardAccess in the MF: each visible from its own DF.
        if fid not in self._visible():
            return _sw(StatusWord.FILE_NOT_FOUND)
        self._current_ef = fid
        return _sw(StatusWord.OK)

    def _read_binary(self, c: CommandApdu) -> bytes:
        # ISO/IEC 7816-4 §11.2.3, even INS B0: no data field, Ne bytes from the offset.
        if c.data or c.le is None:
            return _sw(StatusWord.WRONG_LENGTH)
        files = self._visible()
        if c.p1 & _READ_BINARY_SFI_FLAG:
            if c.p1 & _SFI_RESERVED_BITS:
                return _sw(StatusWord.INCORRECT_P1_P2)
            sfi = c.p1 & 0x1F
            fid = 0x0100 | sfi  # ICAO 9303-10 §3.6.2: an LDS1 EF's SFI is the low byte of its FID
            if not 1 <= sfi <= _MAX_SFI or fid not in files:
                return _sw(StatusWord.FILE_NOT_FOUND)
            self._current_ef = fid  # reading by SFI makes that EF current
            offset = c.p2
        else:
            if self._current_ef is None or self._current_ef not in files:
                return _sw(StatusWord.NO_CURRENT_EF)
            fid = self._current_ef
            offset = (c.p1 << 8) | c.p2
        content = files[fid]
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
