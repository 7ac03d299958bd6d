"""PACE v2 with ECDH generic mapping and AES-128 (ICAO 9303-11 §4.4, §9.2.1, §9.5, §9.7): both sides.

Protocol id-PACE-ECDH-GM-AES-CBC-CMAC-128 on the standardized domain parameters 12 (NIST P-256) or 13
(brainpoolP256r1), with the card access number (CAN, 6 digits) as the password. The steps (§4.4.3):

1. the chip draws a nonce s and sends z = E(K_pi, s), AES-CBC with a zero IV (§4.4.3.1), where
   K_pi = KDF(f(π), 3) and, for the CAN, f(π) is the CAN's characters in ISO/IEC 8859-1 (§9.7.3);
2. generic mapping (§4.4.3.3.1): both exchange ephemeral keys on the curve's generator G, compute the
   ECDH *point* H, and map the nonce to the generator G' = s·G + H;
3. key agreement on G': ephemeral keys again, K = x(SK·PK_other); KS_enc = KDF(K, 1), KS_mac = KDF(K, 2);
4. mutual authentication tokens (§4.4.3.4): T = CMAC(KS_mac, public key data object of the *other*
   side's ephemeral key), truncated to 8 bytes. The public key data object (TR-03110-3 §D.3) is
   7F49 { 06 OID, 86 uncompressed point }.

KDF (§9.7.1): the first 16 bytes of SHA-1(K || counter as 4 bytes big-endian) for AES-128.

The APDUs (§4.4.4): MSE:Set AT (00 22 C1 A4, 80 OID, 83 password reference, 84 parameter ID), then
four GENERAL AUTHENTICATE (INS 86) with dynamic authentication data 7C, the first three chained
(CLA 10): 7C{} -> 7C{80 z}; 7C{81 PK_map,IFD} -> 7C{82 PK_map,IC}; 7C{83 PK_DH,IFD} -> 7C{84 PK_DH,IC};
7C{85 T_IFD} -> 7C{86 T_IC}.

Point arithmetic that ``cryptography`` cannot do (H as a point, G' and k·G') is in
:mod:`partycard.chip.ecarith`; k·G and the final ECDH are ``cryptography``'s.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from partycard.chip.apdu import CommandApdu
from partycard.chip.ecarith import CURVES, Curve, Point
from partycard.chip.errors import ChipFormatError, PaceError, PaceRefused
from partycard.chip.securityinfos import ID_PACE_ECDH_GM_AES_CBC_CMAC_128, PACE_PARAMETER_IDS
from partycard.chip.sm import MAC_LENGTH, SessionKeys, aes_cmac
from partycard.chip.sw import StatusWord
from partycard.chip.tlv import Tlv, tlv_encode, tlv_parse

__all__ = [
    "NONCE_LENGTH",
    "PACE_OID_BYTES",
    "PASSWORD_CAN",
    "PASSWORD_MRZ",
    "TAG_DYNAMIC_AUTH",
    "PaceChip",
    "PaceTerminal",
    "Send",
    "auth_token",
    "can_key",
    "general_authenticate",
    "kdf",
    "mse_set_at_pace",
    "nonce_decrypt",
    "nonce_encrypt",
    "oid_content",
    "pace_terminal_run",
    "public_key_data",
    "session_keys",
]

NONCE_LENGTH = 16  # 9303-11 §4.4.3.1: s is one AES block for AES-128
PASSWORD_MRZ = 0x01  # 9303-11 §4.4.4.1, MSE:Set AT DO'83': the password references
PASSWORD_CAN = 0x02
KDF_ENC, KDF_MAC, KDF_PI = 1, 2, 3  # 9303-11 §9.7.1: the KDF's counter c
TAG_DYNAMIC_AUTH = 0x7C  # ISO/IEC 7816-4 §11.5.5 dynamic authentication data
TAG_PUBLIC_KEY = 0x7F49  # 9303-11 §9.4 / TR-03110-3 D.3: public key data object
TAG_OID, TAG_POINT = 0x06, 0x86

#: A command sender: one plain command in, (response data, SW) out.
Send = Callable[[CommandApdu], tuple[bytes, int]]


def oid_content(dotted: str) -> bytes:
    """The DER content octets of an OBJECT IDENTIFIER (X.690 §8.19), without tag and length."""
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


PACE_OID_BYTES = oid_content(ID_PACE_ECDH_GM_AES_CBC_CMAC_128)  # 04 00 7F 00 07 02 02 04 02 02


def kdf(secret: bytes, counter: int) -> bytes:
    """KDF(K, c) for AES-128 (9303-11 §9.7.1): SHA-1(K || c as 32-bit big-endian), first 16 bytes."""
    return hashlib.sha1(secret + counter.to_bytes(4, "big")).digest()[:16]  # noqa: S324 - the spec's KDF


def can_key(can: str) -> bytes:
    """K_pi for a CAN: KDF(f(CAN), 3), f(CAN) = the CAN's characters in ISO/IEC 8859-1 (9303-11 §9.7.3)."""
    if len(can) != 6 or not can.isdigit() or not can.isascii():
        raise ValueError("the CAN is 6 decimal digits")
    return kdf(can.encode("iso-8859-1"), KDF_PI)


def session_keys(shared_secret: bytes) -> SessionKeys:
    """KS_enc = KDF(K, 1), KS_mac = KDF(K, 2) (9303-11 §9.7.1) from the ECDH x coordinate K."""
    return SessionKeys(kdf(shared_secret, KDF_ENC), kdf(shared_secret, KDF_MAC))


def _cbc_zero_iv(key: bytes) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(key), modes.CBC(bytes(16)))


def nonce_encrypt(k_pi: bytes, nonce: bytes) -> bytes:
    """z = E(K_pi, s): AES-CBC with a zero IV on the one-block nonce (9303-11 §4.4.3.1)."""
    encryptor = _cbc_zero_iv(k_pi).encryptor()
    return encryptor.update(nonce) + encryptor.finalize()


def nonce_decrypt(k_pi: bytes, encrypted: bytes) -> bytes:
    """s = D(K_pi, z), the inverse of :func:`nonce_encrypt`.

    Raises:
        PaceError: z is not one AES block.
    """
    if len(encrypted) != NONCE_LENGTH:
        raise PaceError(f"the encrypted nonce must be {NONCE_LENGTH} bytes")
    decryptor = _cbc_zero_iv(k_pi).decryptor()
    return decryptor.update(encrypted) + decryptor.finalize()


def public_key_data(point: bytes, oid: bytes = PACE_OID_BYTES) -> bytes:
    """The public key data object 7F49 { 06 OID, 86 point } the tokens MAC (9303-11 §4.4.3.4)."""
    return tlv_encode(TAG_PUBLIC_KEY, [tlv_encode(TAG_OID, oid), tlv_encode(TAG_POINT, point)])


def auth_token(ks_mac: bytes, point: bytes, oid: bytes = PACE_OID_BYTES) -> bytes:
    """T = CMAC(KS_mac, 7F49{06 OID, 86 point}), first 8 bytes (9303-11 §4.4.3.4; CMAC: SP 800-38B)."""
    return aes_cmac(ks_mac, public_key_data(point, oid))[:MAC_LENGTH]


def _curve(parameter_id: int) -> tuple[Curve, ec.EllipticCurve]:
    if parameter_id not in CURVES:
        raise PaceError(f"unsupported PACE parameter ID {parameter_id}")
    return CURVES[parameter_id], PACE_PARAMETER_IDS[parameter_id]


def _scalar(curve: Curve, random: Callable[[int], bytes]) -> int:
    """A private key in [1, n-1] by rejection sampling (FIPS 186-4 §B.4.2), so tests can inject one."""
    for _ in range(64):
        k = int.from_bytes(random(curve.size), "big")
        if 1 <= k < curve.n:
            return k
    raise PaceError("the random source gave no usable private key in 64 draws")


def _public(k: int, crypto_curve: ec.EllipticCurve) -> bytes:
    key = ec.derive_private_key(k, crypto_curve)
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def _ecdh_x(k: int, crypto_curve: ec.EllipticCurve, point: bytes) -> bytes:
    """x(k·P) by ``cryptography`` (the curve's own group: valid for any generator, cofactor 1)."""
    try:
        other = ec.EllipticCurvePublicKey.from_encoded_point(crypto_curve, point)
    except ValueError as e:
        raise PaceError(f"not a point of the curve: {e}") from e
    return ec.derive_private_key(k, crypto_curve).exchange(ec.ECDH(), other)


def _map(curve: Curve, crypto_curve: ec.EllipticCurve, nonce: bytes, k_map: int, other_map: bytes) -> Point:
    """G' = s·G + H with H = k_map·PK_map,other (9303-11 §4.4.3.3.1, generic mapping, ECDH)."""
    try:
        other = curve.decode(other_map)
    except ChipFormatError as e:
        raise PaceError(f"the mapping public key: {e}") from e
    h = curve.multiply(k_map, other)
    if h is None:
        raise PaceError("the mapping produced the point at infinity (H)")
    s = int.from_bytes(nonce, "big") % curve.n
    s_g = None if s == 0 else curve.decode(_public(s, crypto_curve))
    mapped = curve.add(s_g, h)
    if mapped is None:
        raise PaceError("the mapped generator is the point at infinity")
    return mapped


@dataclass
class _Ephemeral:
    private: int
    public: bytes


class _PaceSide:
    """What both sides share: the curve, K_pi, and the two ephemeral key pairs."""

    def __init__(
        self,
        parameter_id: int,
        password_key: bytes,
        *,
        random: Callable[[int], bytes] = os.urandom,
        private_keys: Iterator[int] | None = None,
    ) -> None:
        self.curve, self.crypto_curve = _curve(parameter_id)
        self.password_key = password_key
        self._random = random
        self._private_keys = private_keys
        self._mapping: _Ephemeral | None = None  # this side's mapping key pair (step 2)
        self.nonce: bytes | None = None
        self.mapped: Point = None
        self.key_agreement: _Ephemeral | None = None
        self.keys: SessionKeys | None = None

    def _next_private(self) -> int:
        if self._private_keys is not None:
            return next(self._private_keys)
        return _scalar(self.curve, self._random)

    def _mapping_key(self) -> _Ephemeral:
        k = self._next_private()
        return _Ephemeral(k, _public(k, self.crypto_curve))

    def _agreement_key(self) -> _Ephemeral:
        k = self._next_private()
        return _Ephemeral(k, self.curve.encode(self.curve.multiply(k, self.mapped)))

    def _agree(self, other: bytes) -> None:
        assert self.key_agreement is not None
        try:
            self.curve.decode(other)
        except ChipFormatError as e:
            raise PaceError(f"the key agreement public key: {e}") from e
        if hmac.compare_digest(other, self.key_agreement.public):
            # 9303-11 §4.4.3.3 (and TR-03110-3 A.3.4): PK_DH,IC and PK_DH,IFD must differ (reflection)
            raise PaceError("the other side sent our own ephemeral public key back")
        self.other_public = other
        self.keys = session_keys(_ecdh_x(self.key_agreement.private, self.crypto_curve, other))


class PaceTerminal(_PaceSide):
    """The terminal's side of PACE, step by step (the inspection system, IFD).

    Args:
        parameter_id: 12 (P-256) or 13 (brainpoolP256r1), as EF.CardAccess announces.
        password_key: K_pi (see :func:`can_key`).
        random: the source of the ephemeral private keys.
        private_keys: fixed ephemeral private keys (mapping, then key agreement), for the worked example.
    """

    def map_nonce(self, encrypted_nonce: bytes) -> bytes:
        """Step 2 (after receiving z): decrypt s; returns PK_map,IFD to send in DO'81'."""
        self.nonce = nonce_decrypt(self.password_key, encrypted_nonce)
        self._mapping = self._mapping_key()
        return self._mapping.public

    def agree(self, chip_mapping_key: bytes) -> bytes:
        """Step 3: G' from PK_map,IC; returns PK_DH,IFD to send in DO'83'."""
        assert self._mapping is not None and self.nonce is not None
        if hmac.compare_digest(chip_mapping_key, self._mapping.public):
            raise PaceError("the chip sent our own mapping key back")
        self.mapped = _map(self.curve, self.crypto_curve, self.nonce, self._mapping.private, chip_mapping_key)
        self.key_agreement = self._agreement_key()
        return self.key_agreement.public

    def token(self, chip_agreement_key: bytes) -> bytes:
        """Step 4: the session keys; returns T_IFD = MAC(KS_mac, PK_DH,IC) to send in DO'85'."""
        self._agree(chip_agreement_key)
        assert self.keys is not None
        return auth_token(self.keys.mac, chip_agreement_key)

    def finish(self, chip_token: bytes) -> SessionKeys:
        """Check T_IC = MAC(KS_mac, PK_DH,IFD); the session keys if it matches.

        Raises:
            PaceRefused: the chip's token is wrong (it does not know the CAN, or a man in the middle).
        """
        assert self.keys is not None and self.key_agreement is not None
        expected = auth_token(self.keys.mac, self.key_agreement.public)
        if not hmac.compare_digest(expected, chip_token):
            raise PaceRefused("the chip's authentication token T_IC does not verify")
        return self.keys


class PaceChip(_PaceSide):
    """The chip's side of PACE (the ICC), step by step; every failure raises :class:`PaceError`."""

    def encrypted_nonce(self) -> bytes:
        """Step 1: draw s, return z = E(K_pi, s) for DO'80'."""
        self.nonce = self._random(NONCE_LENGTH)
        return nonce_encrypt(self.password_key, self.nonce)

    def map_nonce(self, terminal_mapping_key: bytes) -> bytes:
        """Step 2: G' from PK_map,IFD; returns PK_map,IC for DO'82'."""
        assert self.nonce is not None
        self._mapping = self._mapping_key()
        if hmac.compare_digest(terminal_mapping_key, self._mapping.public):
            raise PaceError("the terminal sent our own mapping key back")
        self.mapped = _map(
            self.curve, self.crypto_curve, self.nonce, self._mapping.private, terminal_mapping_key
        )
        return self._mapping.public

    def agree(self, terminal_agreement_key: bytes) -> bytes:
        """Step 3: returns PK_DH,IC for DO'84' (and derives the session keys)."""
        self.key_agreement = self._agreement_key()
        self._agree(terminal_agreement_key)
        return self.key_agreement.public

    def finish(self, terminal_token: bytes) -> tuple[bytes, SessionKeys]:
        """Step 4: check T_IFD = MAC(KS_mac, PK_DH,IC); returns T_IC for DO'86' and the session keys.

        Raises:
            PaceRefused: the terminal's token is wrong: it used another password (a wrong CAN).
        """
        assert self.keys is not None and self.key_agreement is not None
        expected = auth_token(self.keys.mac, self.key_agreement.public)
        if not hmac.compare_digest(expected, terminal_token):
            raise PaceRefused("the terminal's authentication token T_IFD does not verify")
        return auth_token(self.keys.mac, self.other_public), self.keys


# --- the terminal's APDUs -------------------------------------------------------------------------------


def mse_set_at_pace(*, password_ref: int, parameter_id: int | None) -> CommandApdu:
    """MSE:Set AT for PACE (9303-11 §4.4.4.1): 00 22 C1 A4, 80 OID, 83 password ref [, 84 parameter ID]."""
    data = tlv_encode(0x80, PACE_OID_BYTES) + tlv_encode(0x83, bytes((password_ref,)))
    if parameter_id is not None:
        data += tlv_encode(0x84, bytes((parameter_id,)))
    return CommandApdu(0x00, 0x22, 0xC1, 0xA4, data)


def general_authenticate(inner: bytes, *, last: bool) -> CommandApdu:
    """GENERAL AUTHENTICATE (INS 86, P1-P2 0000) with 7C{inner}; CLA 10 (chaining) unless ``last``."""
    return CommandApdu(0x00 if last else 0x10, 0x86, 0x00, 0x00, tlv_encode(TAG_DYNAMIC_AUTH, inner), 256)


def _answer(send: Send, command: CommandApdu, tag: int) -> bytes:
    data, sw = send(command)
    if sw != StatusWord.OK:
        raise PaceRefused(f"the card refused PACE with {sw:04X}", sw)
    try:
        template = tlv_parse(data)
        item: Tlv | None = template.find(tag) if template.tag == TAG_DYNAMIC_AUTH else None
    except ChipFormatError as e:
        raise PaceError(f"malformed GENERAL AUTHENTICATE response: {e}") from e
    if item is None:
        raise PaceError(f"the GENERAL AUTHENTICATE response lacks DO'{tag:02X}'")
    return item.value


def pace_terminal_run(
    send: Send,
    *,
    parameter_id: int,
    password_key: bytes,
    password_ref: int = PASSWORD_CAN,
    announce_parameter_id: bool = True,
    random: Callable[[int], bytes] = os.urandom,
    private_keys: Iterator[int] | None = None,
) -> SessionKeys:
    """Run PACE with the card behind ``send`` (plain APDUs); the session keys on success.

    Raises:
        PaceRefused: the card answered an error status (6300 wrong password, 6983 suspended, ...) or its
            token did not verify.
        PaceError: the card's answers are malformed.
    """
    terminal = PaceTerminal(parameter_id, password_key, random=random, private_keys=private_keys)
    _, sw = send(
        mse_set_at_pace(
            password_ref=password_ref, parameter_id=parameter_id if announce_parameter_id else None
        )
    )
    if sw != StatusWord.OK:
        raise PaceRefused(f"MSE:Set AT for PACE answered {sw:04X}", sw)
    z = _answer(send, general_authenticate(b"", last=False), 0x80)
    chip_map = _answer(send, general_authenticate(tlv_encode(0x81, terminal.map_nonce(z)), last=False), 0x82)
    chip_dh = _answer(
        send, general_authenticate(tlv_encode(0x83, terminal.agree(chip_map)), last=False), 0x84
    )
    chip_token = _answer(
        send, general_authenticate(tlv_encode(0x85, terminal.token(chip_dh)), last=True), 0x86
    )
    return terminal.finish(chip_token)
