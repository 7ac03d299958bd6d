"""Chip authentication with ECDH and AES (ICAO 9303-11 §6.2, CA version 1), both sides.

After PACE, the terminal sends an ephemeral public key on the domain parameters of the chip's static
key (DG14's ChipAuthenticationPublicKeyInfo); both sides compute K = x(SK·PK_other), derive
KS_enc = KDF(K, 1) and KS_mac = KDF(K, 2) (§9.7.1) and restart secure messaging with SSC = 0
(§9.8.2). The chip proves it holds the DG14 private key *implicitly*: only then can it answer the next
command under the new keys, so a clone that copied DG14 fails at the first protected response — on the
very channel its data travel on (§6.2: "chip authentication ... implicitly authenticates the chip").

Commands, for the AES protocols (9303-11 §6.2 names MSE:Set KAT only for the 3DES ones; the AES
variant is MSE:Set AT + GENERAL AUTHENTICATE as BSI TR-03110-3 §B.11.1-B.11.2 defines and JMRTD
sends): MSE:Set AT 00 22 41 A4 with 80 the CA OID (and 84 the key ID when DG14 names one), then
GENERAL AUTHENTICATE 00 86 00 00 with 7C{80 the ephemeral public point}, answered 7C{}. Both are sent
under the PACE session; the GA's response is still protected by the PACE keys.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.apdu import CommandApdu
from partycard.chip.errors import ChipAuthenticationFailed, ChipFormatError
from partycard.chip.pace import TAG_DYNAMIC_AUTH, oid_content, session_keys
from partycard.chip.securityinfos import ID_CA_ECDH_AES_CBC_CMAC_128, CaInfo
from partycard.chip.sm import SessionKeys
from partycard.chip.sw import StatusWord
from partycard.chip.tlv import tlv_encode, tlv_parse

__all__ = ["CA_OID_BYTES", "ca_chip_keys", "ca_general_authenticate", "ca_mse_set_at", "ca_terminal_run"]

CA_OID_BYTES = oid_content(ID_CA_ECDH_AES_CBC_CMAC_128)  # 04 00 7F 00 07 02 02 03 02 02


def ca_mse_set_at(key_id: int | None = None) -> CommandApdu:
    """MSE:Set AT for chip authentication: 00 22 41 A4, 80 OID [, 84 key ID] (TR-03110-3 §B.11.1)."""
    data = tlv_encode(0x80, CA_OID_BYTES)
    if key_id is not None:
        data += tlv_encode(0x84, key_id.to_bytes(max(1, (key_id.bit_length() + 7) // 8), "big"))
    return CommandApdu(0x00, 0x22, 0x41, 0xA4, data)


def ca_general_authenticate(ephemeral_point: bytes) -> CommandApdu:
    """GENERAL AUTHENTICATE 00 86 00 00 with 7C{80 the terminal's ephemeral public key} (§B.11.2)."""
    return CommandApdu(
        0x00, 0x86, 0x00, 0x00, tlv_encode(TAG_DYNAMIC_AUTH, tlv_encode(0x80, ephemeral_point)), 256
    )


def ca_terminal_run(
    send: Callable[[CommandApdu], tuple[bytes, int]],
    info: CaInfo,
    *,
    ephemeral: ec.EllipticCurvePrivateKey | None = None,
) -> SessionKeys:
    """Run chip authentication over ``send`` (the PACE session); the new session keys.

    The caller must restart secure messaging with them (SSC 0) and treat a failure of the next
    protected response as a failed chip authentication.

    Raises:
        ChipAuthenticationFailed: the card refused a command or answered malformed data.
    """
    key = ephemeral or ec.generate_private_key(info.public_key.curve)
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    _, sw = send(ca_mse_set_at(info.key_id))
    if sw != StatusWord.OK:
        raise ChipAuthenticationFailed(f"MSE:Set AT for chip authentication answered {sw:04X}")
    data, sw = send(ca_general_authenticate(point))
    if sw != StatusWord.OK:
        raise ChipAuthenticationFailed(f"GENERAL AUTHENTICATE for chip authentication answered {sw:04X}")
    try:
        if data and tlv_parse(data).tag != TAG_DYNAMIC_AUTH:
            raise ChipFormatError("not dynamic authentication data")
    except ChipFormatError as e:
        raise ChipAuthenticationFailed(f"malformed chip authentication response: {e}") from e
    return session_keys(key.exchange(ec.ECDH(), info.public_key))


def ca_chip_keys(key_agree: Callable[[bytes], bytes], terminal_point: bytes) -> SessionKeys:
    """The chip's side: the new session keys from ECDH of its static key with the terminal's point."""
    return session_keys(key_agree(terminal_point))
