"""Secure messaging with AES (ICAO 9303-11 §9.8), both sides: the terminal's and the chip's.

After PACE (and again after chip authentication) both sides hold KS_enc and KS_mac (AES-128) and a
16-byte send sequence counter SSC, which starts at zero (9303-11 §9.8.2 for AES) and is incremented
before *every* command and every response, so a command is MACed under an odd counter and its
response under the next even one. Each protected APDU carries, in this order (§9.8.5, §9.8.6):

* DO'87' = 01 || E(KS_enc, pad(data)), AES-CBC with IV = E(KS_enc, SSC) (§9.8.6.1), if there is data;
* DO'97' = Le (commands, if Le is present; 1 byte short, 2 bytes extended, 00/0000 for the maximum);
* DO'99' = SW1 SW2 (responses, always);
* DO'8E' = the first 8 bytes of AES-CMAC(KS_mac, pad(SSC || [pad(header)] || DO'87' || DO'97'/DO'99'))
  (§9.8.6.2; the header is CLA INS P1 P2 with the SM bits of CLA set, ISO/IEC 7816-4 §5.4.1).

Padding is ISO/IEC 9797-1 method 2 (80 then zeros to a whole block). Only even INS are protected here
(odd INS would use DO'85'; no command of the party card has one).

A check that fails raises a :class:`~partycard.chip.errors.SecureMessagingError` subclass whose
``code`` names it. A MAC that fails under the expected counter is tried under the counters around it
(:data:`COUNTER_WINDOW` either way): valid under an earlier one is a replay (``sm_replay``), under a
later one a counter out of step (``sm_counter``), under none an altered APDU (``sm_mac``). Either side
must then drop the keys (ISO/IEC 7816-4 §10.2: the session ends with the error); this object is
single-use after an error and refuses to go on.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from partycard.chip.apdu import MAX_LE_EXTENDED, MAX_LE_SHORT, CommandApdu
from partycard.chip.errors import (
    SecureMessagingError,
    SmCounterError,
    SmFormatError,
    SmMacError,
    SmMissingError,
    SmReplayError,
    SmTruncatedError,
)
from partycard.chip.tlv import tlv_encode

__all__ = [
    "BLOCK",
    "CLA_SM",
    "COUNTER_WINDOW",
    "MAC_LENGTH",
    "SecureMessaging",
    "SessionKeys",
    "aes_cmac",
    "pad",
    "unpad",
]

BLOCK = 16  # AES block size
MAC_LENGTH = 8  # 9303-11 §9.8.6.2: the CMAC is truncated to 8 bytes
CLA_SM = 0x0C  # ISO/IEC 7816-4 §5.4.1 Table 2: SM, header authenticated (bits 4-3 = 11)
COUNTER_WINDOW = 16  # how far around the expected SSC a failed MAC is tried, to name replay vs counter
_SSC_MODULUS = 1 << (8 * BLOCK)
_TAG_DATA, _TAG_LE, _TAG_STATUS, _TAG_MAC = 0x87, 0x97, 0x99, 0x8E
_PADDING_INDICATOR = 0x01  # DO'87' value starts with 01: "padded as ISO/IEC 9797-1 method 2"


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """KS_enc and KS_mac of one secure messaging session (AES-128: 16 bytes each)."""

    enc: bytes
    mac: bytes


def pad(data: bytes) -> bytes:
    """ISO/IEC 9797-1 padding method 2: append 80, then 00 up to a multiple of the AES block."""
    padded = data + b"\x80"
    return padded + bytes(-len(padded) % BLOCK)


def unpad(data: bytes) -> bytes:
    """Remove ISO/IEC 9797-1 method 2 padding.

    Raises:
        SmFormatError: no 80 marker with only zeros after it, in the last block.
    """
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80 or len(data) - len(stripped) >= BLOCK:
        raise SmFormatError("bad ISO/IEC 9797-1 method 2 padding")
    return stripped[:-1]


def aes_cmac(key: bytes, data: bytes) -> bytes:
    """The full 16-byte AES-CMAC (NIST SP 800-38B) of ``data``."""
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def _objects(body: bytes) -> list[tuple[int, bytes, bytes]]:
    """The data objects of an SM body as (tag, value, raw TLV bytes), one-byte tags, BER lengths.

    Raises:
        SmTruncatedError: a length or value runs past the end.
        SmFormatError: an invalid length encoding.
    """
    out = []
    i = 0
    while i < len(body):
        start = i
        tag = body[i]
        i += 1
        if i >= len(body):
            raise SmTruncatedError(f"DO'{tag:02X}' has no length")
        first = body[i]
        i += 1
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if not 1 <= count <= 2:
                raise SmFormatError(f"DO'{tag:02X}' has a bad length field")
            if i + count > len(body):
                raise SmTruncatedError(f"DO'{tag:02X}' length field is cut")
            length = int.from_bytes(body[i : i + count], "big")
            i += count
        if i + length > len(body):
            raise SmTruncatedError(f"DO'{tag:02X}' claims {length} bytes, {len(body) - i} are there")
        out.append((tag, body[i : i + length], body[start : i + length]))
        i += length
    return out


def _arrange(
    objects: list[tuple[int, bytes, bytes]], optional: tuple[int, ...], kind: str
) -> dict[int, tuple[bytes, bytes]]:
    """Check the DOs come as ``optional`` tags (each at most once, in order) then DO'8E' last."""
    tags = [tag for tag, _, _ in objects]
    if _TAG_MAC not in tags:
        raise SmMissingError(f"the {kind} has no DO'8E'")
    if tags[-1] != _TAG_MAC or tags.count(_TAG_MAC) != 1:
        raise SmFormatError(f"DO'8E' must close the {kind}, once")
    rest = tags[:-1]
    expected = [tag for tag in optional if tag in rest]
    if rest != expected:
        raise SmFormatError(
            f"the {kind}'s data objects {[f'{t:02X}' for t in rest]} are not in the order of 9303-11 §9.8"
        )
    return {tag: (value, raw) for tag, value, raw in objects}


class SecureMessaging:
    """One side of an AES secure messaging session: keys, the send sequence counter, wrap and unwrap.

    The terminal calls :meth:`wrap_command` then :meth:`unwrap_response`; the chip calls
    :meth:`unwrap_command` then :meth:`wrap_response`. Each call increments the SSC first.
    """

    def __init__(self, keys: SessionKeys, ssc: int = 0) -> None:
        if len(keys.enc) != BLOCK or len(keys.mac) != BLOCK:
            raise ValueError("AES-128 secure messaging needs 16-byte KS_enc and KS_mac")
        self._keys = keys
        self._ssc = ssc % _SSC_MODULUS
        self._broken = False

    @property
    def ssc(self) -> int:
        """The send sequence counter as it stands (after the last APDU processed)."""
        return self._ssc

    @property
    def keys(self) -> SessionKeys:
        return self._keys

    # --- primitives ------------------------------------------------------------------------------------

    def _next(self) -> int:
        if self._broken:
            raise SecureMessagingError("this secure messaging session ended with an error; run PACE again")
        self._ssc = (self._ssc + 1) % _SSC_MODULUS
        return self._ssc

    def _fail(self, error: SecureMessagingError) -> SecureMessagingError:
        self._broken = True
        return error

    def _iv(self, ssc: int) -> bytes:
        # 9303-11 §9.8.6.1: for AES the IV is E(KS_enc, SSC)
        # one block, so ECB is the raw AES permutation here
        encryptor = Cipher(algorithms.AES(self._keys.enc), modes.ECB()).encryptor()  # noqa: S305
        return encryptor.update(ssc.to_bytes(BLOCK, "big")) + encryptor.finalize()

    def _encrypt(self, ssc: int, data: bytes) -> bytes:
        encryptor = Cipher(algorithms.AES(self._keys.enc), modes.CBC(self._iv(ssc))).encryptor()
        return encryptor.update(pad(data)) + encryptor.finalize()

    def _decrypt(self, ssc: int, data: bytes) -> bytes:
        if not data or len(data) % BLOCK:
            raise SmFormatError("DO'87' ciphertext is not whole AES blocks")
        decryptor = Cipher(algorithms.AES(self._keys.enc), modes.CBC(self._iv(ssc))).decryptor()
        return unpad(decryptor.update(data) + decryptor.finalize())

    def _mac(self, ssc: int, payload: bytes) -> bytes:
        return aes_cmac(self._keys.mac, pad(ssc.to_bytes(BLOCK, "big") + payload))[:MAC_LENGTH]

    def _verify(self, ssc: int, payload: bytes, mac: bytes) -> None:
        if len(mac) != MAC_LENGTH:
            raise SmFormatError(f"DO'8E' holds {len(mac)} bytes, not {MAC_LENGTH}")
        if hmac.compare_digest(self._mac(ssc, payload), mac):
            return
        for delta in range(1, COUNTER_WINDOW + 1):
            if ssc - delta >= 0 and hmac.compare_digest(self._mac(ssc - delta, payload), mac):
                raise SmReplayError(f"the MAC is valid {delta} APDUs back: a replayed APDU")
            if hmac.compare_digest(self._mac((ssc + delta) % _SSC_MODULUS, payload), mac):
                raise SmCounterError(f"the MAC is valid {delta} APDUs ahead: the counters are out of step")
        raise SmMacError("DO'8E' does not match: the APDU was altered or the keys differ")

    # --- terminal side ---------------------------------------------------------------------------------

    def wrap_command(self, command: CommandApdu) -> CommandApdu:
        """The protected form of a plain command (9303-11 §9.8.5): CLA with the SM bits, DOs, Le 00."""
        if command.cla & CLA_SM:
            raise ValueError("the command is already a secure messaging command")
        if command.ins & 1:
            raise ValueError("odd INS (DO'85') is not supported")
        ssc = self._next()
        cla = command.cla | CLA_SM
        header = bytes((cla, command.ins, command.p1, command.p2))
        do87 = b""
        if command.data:
            do87 = tlv_encode(_TAG_DATA, bytes((_PADDING_INDICATOR,)) + self._encrypt(ssc, command.data))
        do97 = b""
        if command.le is not None:
            size = 2 if command.extended else 1
            modulus = MAX_LE_EXTENDED if command.extended else MAX_LE_SHORT
            do97 = tlv_encode(_TAG_LE, (command.le % modulus).to_bytes(size, "big"))
        mac = self._mac(ssc, pad(header) + do87 + do97)
        body = do87 + do97 + tlv_encode(_TAG_MAC, mac)
        extended = command.extended or len(body) > 255
        return CommandApdu(
            cla,
            command.ins,
            command.p1,
            command.p2,
            body,
            MAX_LE_EXTENDED if extended else MAX_LE_SHORT,
            extended=extended,
        )

    def unwrap_response(self, response: bytes) -> tuple[bytes, int]:
        """The plain data and status word of a protected response (9303-11 §9.8.6).

        Raises:
            SecureMessagingError: a subclass naming the failure; the session is over.
        """
        ssc = self._next()
        try:
            if len(response) < 2:
                raise SmTruncatedError("the response has no status word")
            body, trailer = response[:-2], int.from_bytes(response[-2:], "big")
            if not body:
                raise SmMissingError(f"the card answered {trailer:04X} in plain: it dropped the session")
            dos = _arrange(_objects(body), (_TAG_DATA, _TAG_STATUS), "response")
            if _TAG_STATUS not in dos:
                raise SmMissingError("the response has no DO'99'")
            status, status_raw = dos[_TAG_STATUS]
            data_raw = dos[_TAG_DATA][1] if _TAG_DATA in dos else b""
            self._verify(ssc, data_raw + status_raw, dos[_TAG_MAC][0])
            if len(status) != 2:
                raise SmFormatError("DO'99' must hold SW1 SW2")
            sw = int.from_bytes(status, "big")
            if sw != trailer:
                raise SmFormatError(f"the plain status {trailer:04X} differs from the protected {sw:04X}")
            data = b""
            if _TAG_DATA in dos:
                value = dos[_TAG_DATA][0]
                if value[:1] != bytes((_PADDING_INDICATOR,)):
                    raise SmFormatError("DO'87' must start with the padding-content indicator 01")
                data = self._decrypt(ssc, value[1:])
        except SecureMessagingError as e:
            raise self._fail(e) from None
        return data, sw

    # --- chip side -------------------------------------------------------------------------------------

    def unwrap_command(self, command: CommandApdu) -> CommandApdu:
        """The plain command inside a protected one (the chip's check of 9303-11 §9.8.5).

        Raises:
            SecureMessagingError: a subclass naming the failure; the session is over.
        """
        ssc = self._next()
        try:
            if command.cla & CLA_SM != CLA_SM:
                raise SmMissingError("a plain command inside a secure messaging session")
            if command.ins & 1:
                raise SmFormatError("odd INS (DO'85') is not supported")
            dos = _arrange(_objects(command.data), (_TAG_DATA, _TAG_LE), "command")
            header = bytes((command.cla, command.ins, command.p1, command.p2))
            data_raw = dos[_TAG_DATA][1] if _TAG_DATA in dos else b""
            le_raw = dos[_TAG_LE][1] if _TAG_LE in dos else b""
            self._verify(ssc, pad(header) + data_raw + le_raw, dos[_TAG_MAC][0])
            data = b""
            if _TAG_DATA in dos:
                value = dos[_TAG_DATA][0]
                if value[:1] != bytes((_PADDING_INDICATOR,)):
                    raise SmFormatError("DO'87' must start with the padding-content indicator 01")
                data = self._decrypt(ssc, value[1:])
                if not data:
                    raise SmFormatError("DO'87' holds no data")
            le: int | None = None
            extended = False
            if _TAG_LE in dos:
                raw = dos[_TAG_LE][0]
                if len(raw) == 1:
                    le = raw[0] or MAX_LE_SHORT
                elif len(raw) == 2:
                    le, extended = int.from_bytes(raw, "big") or MAX_LE_EXTENDED, True
                else:
                    raise SmFormatError("DO'97' must hold a 1- or 2-byte Le")
            return CommandApdu(
                command.cla & ~CLA_SM & 0xFF, command.ins, command.p1, command.p2, data, le, extended=extended
            )
        except SecureMessagingError as e:
            raise self._fail(e) from None

    def wrap_response(self, data: bytes, sw: int) -> bytes:
        """The protected response (9303-11 §9.8.6): [DO'87'] DO'99' DO'8E', then SW1 SW2 in plain."""
        ssc = self._next()
        do87 = b""
        if data:
            do87 = tlv_encode(_TAG_DATA, bytes((_PADDING_INDICATOR,)) + self._encrypt(ssc, data))
        status = sw.to_bytes(2, "big")
        do99 = tlv_encode(_TAG_STATUS, status)
        return do87 + do99 + tlv_encode(_TAG_MAC, self._mac(ssc, do87 + do99)) + status
