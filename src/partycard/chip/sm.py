"""Secure messaging (ICAO 9303-11 §9.8), both sides: the terminal's and the chip's.

The framing below is the same for every cipher; what differs sits in a :class:`CipherSuite`:
:data:`AES` (the default, and the only suite a party card speaks) and :data:`TDES` (3DES, as after BAC;
kept only so that 9303-11's own worked example, Appendix D.4, runs through this code byte for byte).

After PACE (and again after chip authentication) both sides hold KS_enc and KS_mac (AES-128) and a
16-byte send sequence counter SSC, which starts at zero (9303-11 §9.8.2 for AES) and is incremented
before *every* command and every response, so a command is MACed under an odd counter and its
response under the next even one. Each protected APDU carries, in this order (§9.8.5, §9.8.6):

* DO'87' = 01 || E(KS_enc, pad(data)), AES-CBC with IV = E(KS_enc, SSC) (§9.8.6.1), if there is data;
* DO'97' = Le (commands, if Le is present; 1 byte short, 2 bytes extended, 00/0000 for the maximum);
* DO'99' = SW1 SW2 (responses, always);
* DO'8E' = the first 8 bytes of AES-CMAC(KS_mac, pad(SSC || [pad(header)] || DO'87' || DO'97'/DO'99'))
  (§9.8.6.2; the header is CLA INS P1 P2 with the SM bits of CLA set, ISO/IEC 7816-4 §5.4.1).

For :data:`TDES` (9303-11 §9.8.6.1, §9.8.6.2, §9.8.2 for 3DES): the SSC is 8 bytes, DO'87' is 3DES-CBC
(two-key, K1 K2 K1) with IV zero, and DO'8E' is ISO/IEC 9797-1 MAC algorithm 3 (the "retail MAC") with
DES, 8 bytes; the blocks are 8 bytes.

Padding is ISO/IEC 9797-1 method 2 (80 then zeros to a whole block of the suite). Only even INS are
protected here (odd INS would use DO'85'; no command of the party card has one).

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
from typing import Protocol

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
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
    "AES",
    "BLOCK",
    "CLA_SM",
    "COUNTER_WINDOW",
    "MAC_LENGTH",
    "TDES",
    "AesSuite",
    "CipherSuite",
    "SecureMessaging",
    "SessionKeys",
    "TdesSuite",
    "aes_cmac",
    "mac_input",
    "pad",
    "retail_mac",
    "unpad",
]

BLOCK = 16  # AES block size (the default suite's)
MAC_LENGTH = 8  # 9303-11 §9.8.6.2: the CMAC is truncated to 8 bytes; the retail MAC is 8 bytes
CLA_SM = 0x0C  # ISO/IEC 7816-4 §5.4.1 Table 2: SM, header authenticated (bits 4-3 = 11)
COUNTER_WINDOW = 16  # how far around the expected SSC a failed MAC is tried, to name replay vs counter
_DES_BLOCK = 8
_TAG_DATA, _TAG_LE, _TAG_STATUS, _TAG_MAC = 0x87, 0x97, 0x99, 0x8E
_PADDING_INDICATOR = 0x01  # DO'87' value starts with 01: "padded as ISO/IEC 9797-1 method 2"


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """KS_enc and KS_mac of one secure messaging session (16 bytes each: AES-128, or two-key 3DES)."""

    enc: bytes
    mac: bytes


def pad(data: bytes, block: int = BLOCK) -> bytes:
    """ISO/IEC 9797-1 padding method 2: append 80, then 00 up to a multiple of ``block`` (AES's 16)."""
    padded = data + b"\x80"
    return padded + bytes(-len(padded) % block)


def unpad(data: bytes, block: int = BLOCK) -> bytes:
    """Remove ISO/IEC 9797-1 method 2 padding (blocks of ``block`` bytes).

    Raises:
        SmFormatError: no 80 marker with only zeros after it, in the last block.
    """
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80 or len(data) - len(stripped) >= block:
        raise SmFormatError("bad ISO/IEC 9797-1 method 2 padding")
    return stripped[:-1]


def aes_cmac(key: bytes, data: bytes) -> bytes:
    """The full 16-byte AES-CMAC (NIST SP 800-38B) of ``data``."""
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def _des(key: bytes) -> TripleDES:
    """3DES EDE: a 16-byte key K1 K2 is two-key 3DES, passed as K1 K2 K1; K K K is single DES."""
    return TripleDES(key + key[:_DES_BLOCK] if len(key) == 2 * _DES_BLOCK else key)


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 (the "retail MAC") with DES, of already padded ``data``.

    ISO/IEC 9797-1 MAC algorithm 3, as 9303-11 §9.8.6.2 uses it for 3DES secure messaging (with BAC):
    key = K || K' (8 bytes each); H_1 = DES(K, D_1), H_i = DES(K, H_(i-1) xor D_i) (initial
    transformation 1, iteration over every block), then the output transformation 3:
    G = DES(K, DES^-1(K', H_q)). That is single-DES CBC with IV zero over all blocks but the last, and
    3DES (K, K', K) of the chaining value xor the last block. No truncation: the block is 8 bytes.
    The caller pads (method 2) first, as 9303-11 puts the padding in N itself.

    Raises:
        ValueError: a key that is not 16 bytes, or data that is empty or not whole 8-byte blocks.
    """
    if len(key) != 2 * _DES_BLOCK:
        raise ValueError("the retail MAC takes a 16-byte key K || K'")
    if not data or len(data) % _DES_BLOCK:
        raise ValueError("the retail MAC takes data padded to whole 8-byte blocks")
    k = key[:_DES_BLOCK]
    head, last = data[:-_DES_BLOCK], data[-_DES_BLOCK:]
    chain = bytes(_DES_BLOCK)
    if head:
        encryptor = Cipher(_des(k * 3), modes.CBC(chain)).encryptor()
        chain = (encryptor.update(head) + encryptor.finalize())[-_DES_BLOCK:]
    block = bytes(a ^ b for a, b in zip(chain, last, strict=True))
    # one block, so ECB is the raw 3DES permutation here: E_K(D_K'(E_K(x)))
    encryptor = Cipher(_des(key), modes.ECB()).encryptor()  # noqa: S305
    return encryptor.update(block) + encryptor.finalize()


class CipherSuite(Protocol):
    """What differs between AES and 3DES secure messaging; the framing (DOs, padding, SSC) does not.

    ``block`` is the cipher's block size, which is also the SSC's length in bytes (9303-11 §9.8.2).
    ``encrypt``/``decrypt`` take whole padded blocks; ``mac`` takes the padded MAC input N and returns
    the 8 bytes of DO'8E'.
    """

    name: str
    block: int

    def encrypt(self, key: bytes, ssc: int, data: bytes) -> bytes: ...

    def decrypt(self, key: bytes, ssc: int, data: bytes) -> bytes: ...

    def mac(self, key: bytes, data: bytes) -> bytes: ...


class AesSuite:
    """AES-128 (9303-11 §9.8.6.1-2): CBC with IV = E(KS_enc, SSC), AES-CMAC truncated to 8 bytes.

    The suite of every party card (PACE and chip authentication both yield AES-128 keys).
    """

    name = "AES"
    block = BLOCK

    def _iv(self, key: bytes, ssc: int) -> bytes:
        # 9303-11 §9.8.6.1: for AES the IV is E(KS_enc, SSC)
        # one block, so ECB is the raw AES permutation here
        encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305
        return encryptor.update(ssc.to_bytes(BLOCK, "big")) + encryptor.finalize()

    def encrypt(self, key: bytes, ssc: int, data: bytes) -> bytes:
        encryptor = Cipher(algorithms.AES(key), modes.CBC(self._iv(key, ssc))).encryptor()
        return encryptor.update(data) + encryptor.finalize()

    def decrypt(self, key: bytes, ssc: int, data: bytes) -> bytes:
        decryptor = Cipher(algorithms.AES(key), modes.CBC(self._iv(key, ssc))).decryptor()
        return decryptor.update(data) + decryptor.finalize()

    def mac(self, key: bytes, data: bytes) -> bytes:
        return aes_cmac(key, data)[:MAC_LENGTH]


class TdesSuite:
    """Two-key 3DES (9303-11 §9.8.6.1-2): CBC with IV zero, the retail MAC with DES.

    Not used by party cards: this is BAC's secure messaging, kept so that 9303-11 Appendix D.4 (the only
    worked example of secure messaging in 9303-11) checks the framing code byte for byte.
    """

    name = "3DES"
    block = _DES_BLOCK

    def encrypt(self, key: bytes, ssc: int, data: bytes) -> bytes:
        # 9303-11 §9.8.6.1: for 3DES the IV is zero; the SSC goes only into the MAC
        encryptor = Cipher(_des(key), modes.CBC(bytes(_DES_BLOCK))).encryptor()
        return encryptor.update(data) + encryptor.finalize()

    def decrypt(self, key: bytes, ssc: int, data: bytes) -> bytes:
        decryptor = Cipher(_des(key), modes.CBC(bytes(_DES_BLOCK))).decryptor()
        return decryptor.update(data) + decryptor.finalize()

    def mac(self, key: bytes, data: bytes) -> bytes:
        return retail_mac(key, data)


AES: CipherSuite = AesSuite()
TDES: CipherSuite = TdesSuite()


def mac_input(suite: CipherSuite, ssc: int, payload: bytes) -> bytes:
    """N of 9303-11 §9.8.6.2 (K for a response): pad(SSC || payload), the SSC as one block of the suite.

    ``payload`` is M: for a command pad(header) || [DO'87'] || [DO'97'], for a response
    [DO'87'] || DO'99'.
    """
    return pad(ssc.to_bytes(suite.block, "big") + payload, suite.block)


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
    """One side of a secure messaging session: keys, the send sequence counter, wrap and unwrap.

    The terminal calls :meth:`wrap_command` then :meth:`unwrap_response`; the chip calls
    :meth:`unwrap_command` then :meth:`wrap_response`. Each call increments the SSC first.
    ``suite`` is :data:`AES` unless a test runs 9303-11's 3DES worked example (:data:`TDES`).
    """

    def __init__(self, keys: SessionKeys, ssc: int = 0, *, suite: CipherSuite = AES) -> None:
        if len(keys.enc) != 16 or len(keys.mac) != 16:
            raise ValueError(f"{suite.name} secure messaging needs 16-byte KS_enc and KS_mac")
        self._keys = keys
        self._suite = suite
        self._modulus = 1 << (8 * suite.block)
        self._ssc = ssc % self._modulus
        self._broken = False

    @property
    def ssc(self) -> int:
        """The send sequence counter as it stands (after the last APDU processed)."""
        return self._ssc

    @property
    def keys(self) -> SessionKeys:
        return self._keys

    @property
    def suite(self) -> CipherSuite:
        return self._suite

    # --- primitives ------------------------------------------------------------------------------------

    def _next(self) -> int:
        if self._broken:
            raise SecureMessagingError("this secure messaging session ended with an error; run PACE again")
        self._ssc = (self._ssc + 1) % self._modulus
        return self._ssc

    def _fail(self, error: SecureMessagingError) -> SecureMessagingError:
        self._broken = True
        return error

    def _encrypt(self, ssc: int, data: bytes) -> bytes:
        return self._suite.encrypt(self._keys.enc, ssc, pad(data, self._suite.block))

    def _decrypt(self, ssc: int, data: bytes) -> bytes:
        block = self._suite.block
        if not data or len(data) % block:
            raise SmFormatError(f"DO'87' ciphertext is not whole {self._suite.name} blocks")
        return unpad(self._suite.decrypt(self._keys.enc, ssc, data), block)

    def _mac(self, ssc: int, payload: bytes) -> bytes:
        return self._suite.mac(self._keys.mac, mac_input(self._suite, ssc, payload))

    def _verify(self, ssc: int, payload: bytes, mac: bytes) -> None:
        if len(mac) != MAC_LENGTH:
            raise SmFormatError(f"DO'8E' holds {len(mac)} bytes, not {MAC_LENGTH}")
        if hmac.compare_digest(self._mac(ssc, payload), mac):
            return
        for delta in range(1, COUNTER_WINDOW + 1):
            if ssc - delta >= 0 and hmac.compare_digest(self._mac(ssc - delta, payload), mac):
                raise SmReplayError(f"the MAC is valid {delta} APDUs back: a replayed APDU")
            if hmac.compare_digest(self._mac((ssc + delta) % self._modulus, payload), mac):
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
        mac = self._mac(ssc, pad(header, self._suite.block) + do87 + do97)
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
            self._verify(ssc, pad(header, self._suite.block) + data_raw + le_raw, dos[_TAG_MAC][0])
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
