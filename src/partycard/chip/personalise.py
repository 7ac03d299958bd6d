"""The personalisation machine's side: the ISO commands that make a blank chip a party card.

The counterpart of :mod:`partycard.chip.perso` over any :class:`~partycard.chip.reader.Transport`
(PC/SC at a card bureau, :class:`AppletTransport` in process). Each function sends its commands and
raises :class:`PersoCommandRefused`, naming the command and the status word, on anything but 9000.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.apdu import CommandApdu
from partycard.chip.errors import ChipFormatError, PersoCommandRefused
from partycard.chip.lds import AID_LDS1
from partycard.chip.perso import (
    INS_ACTIVATE_FILE,
    INS_CREATE_FILE,
    INS_GENERATE_ASYMMETRIC_KEY_PAIR,
    INS_GET_DATA,
    INS_PUT_DATA,
    INS_UPDATE_BINARY,
    KEY_REF_AA,
    MAX_EF_BYTES,
    SERIAL_BYTES,
    TAG_CAN,
    TAG_CHIP_SERIAL,
    TAG_EC_PUBLIC_POINT,
    TAG_PUBLIC_KEY_TEMPLATE,
)
from partycard.chip.reader import Transport
from partycard.chip.sw import StatusWord
from partycard.chip.tlv import tlv_encode, tlv_parse

__all__ = [
    "AppletTransport",
    "chip_activate",
    "chip_application_select",
    "chip_can_write",
    "chip_card_access_write",
    "chip_file_read",
    "chip_file_write",
    "chip_key_generate",
    "chip_serial_read",
]

_WRITE_CHUNK = 0xFF  # the largest short-APDU data field: every reader takes it


class AppletTransport:
    """A chip object called in process: the same APDUs as over PC/SC, without the reader."""

    def __init__(self, applet: object) -> None:
        process = getattr(applet, "process", None)
        if not callable(process):
            raise TypeError("the applet must have process(apdu) -> bytes")
        self._process = process

    def transmit(self, apdu: bytes) -> bytes:
        response: bytes = self._process(apdu)
        return response


def _send(transport: Transport, what: str, command: CommandApdu) -> bytes:
    response = transport.transmit(command.encode())
    if len(response) < 2:
        raise PersoCommandRefused(f"{what}: the chip's response has no status word")
    sw = int.from_bytes(response[-2:], "big")
    if sw != StatusWord.OK:
        raise PersoCommandRefused(f"{what} refused by the chip: {sw:04X}")
    return response[:-2]


def chip_application_select(transport: Transport, aid: bytes = AID_LDS1) -> None:
    """SELECT the application by DF name (ISO/IEC 7816-4 §11.1.1, P1 04, no response data)."""
    _send(transport, "SELECT application", CommandApdu(0x00, 0xA4, 0x04, 0x0C, aid))


def chip_serial_read(transport: Transport) -> str:
    """The chip's serial (GET DATA 'DF20', chip/perso.py) as 16 upper-case hex digits."""
    value = _send(
        transport,
        "GET DATA (serial)",
        CommandApdu(0x00, INS_GET_DATA, TAG_CHIP_SERIAL >> 8, TAG_CHIP_SERIAL & 0xFF, le=SERIAL_BYTES),
    )
    if len(value) != SERIAL_BYTES:
        raise PersoCommandRefused(f"GET DATA (serial) returned {len(value)} bytes, not {SERIAL_BYTES}")
    return value.hex().upper()


def chip_key_generate(transport: Transport, key_ref: int = KEY_REF_AA) -> ec.EllipticCurvePublicKey:
    """GENERATE ASYMMETRIC KEY PAIR on the chip; its public key from the 7F49 template's tag 86.

    Args:
        key_ref: P2, the private key's reference (chip/perso.py): ``KEY_REF_AA`` (DG15's key) or
            ``KEY_REF_CA`` (DG14's chip-authentication key).

    Raises:
        PersoCommandRefused: the chip refused, or answered with no P-256 point.
    """
    answer = _send(
        transport,
        "GENERATE ASYMMETRIC KEY PAIR",
        CommandApdu(0x00, INS_GENERATE_ASYMMETRIC_KEY_PAIR, 0x00, key_ref, le=256),
    )
    try:
        template = tlv_parse(answer)
        if template.tag != TAG_PUBLIC_KEY_TEMPLATE:
            raise ChipFormatError(f"expected template 7F49, found {template.tag:X}")
        point = template.one(TAG_EC_PUBLIC_POINT).value
        # from_encoded_point refuses a point that is not on the curve (SEC 1 §2.3.4).
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ChipFormatError, ValueError) as e:
        raise PersoCommandRefused(f"GENERATE ASYMMETRIC KEY PAIR returned no P-256 public key: {e}") from e


def chip_file_write(transport: Transport, fid: int, content: bytes, *, chunk: int = _WRITE_CHUNK) -> None:
    """CREATE FILE a transparent EF of exactly ``len(content)`` bytes, then UPDATE BINARY it in chunks.

    The application must be selected. Raises :class:`PersoCommandRefused` on any refusal (a file that
    exists already: 6A89).
    """
    if not 1 <= len(content) <= MAX_EF_BYTES:
        raise ValueError(f"an EF holds 1 to {MAX_EF_BYTES} bytes")
    size = len(content).to_bytes(2, "big")
    fcp = tlv_encode(
        0x62, [tlv_encode(0x80, size), tlv_encode(0x82, b"\x01"), tlv_encode(0x83, fid.to_bytes(2, "big"))]
    )
    _send(transport, f"CREATE FILE {fid:04X}", CommandApdu(0x00, INS_CREATE_FILE, 0x00, 0x00, fcp))
    for offset in range(0, len(content), chunk):
        _send(
            transport,
            f"UPDATE BINARY {fid:04X} at {offset}",
            CommandApdu(
                0x00, INS_UPDATE_BINARY, offset >> 8, offset & 0xFF, content[offset : offset + chunk]
            ),
        )


def chip_file_read(transport: Transport, fid: int, length: int, *, chunk: int = 0xE0) -> bytes:
    """SELECT EF ``fid`` and READ BINARY its first ``length`` bytes (to check what was written)."""
    _send(transport, f"SELECT {fid:04X}", CommandApdu(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big")))
    data = bytearray()
    while len(data) < length:
        offset = len(data)
        data += _send(
            transport,
            f"READ BINARY {fid:04X} at {offset}",
            CommandApdu(0x00, 0xB0, offset >> 8, offset & 0xFF, le=min(chunk, length - offset)),
        )
    return bytes(data)


def chip_can_write(transport: Transport, can: str) -> None:
    """PUT DATA 'DF21' (chip/perso.py): the CAN PACE will ask for. Write-only; never echoed in errors."""
    if len(can) != 6 or not (can.isascii() and can.isdigit()):
        raise ValueError("a CAN is 6 decimal digits")
    _send(
        transport,
        "PUT DATA (CAN)",
        CommandApdu(0x00, INS_PUT_DATA, TAG_CAN >> 8, TAG_CAN & 0xFF, can.encode()),
    )


def chip_card_access_write(transport: Transport, content: bytes, aid: bytes = AID_LDS1) -> None:
    """Write EF.CardAccess (FID 011C) in the MF (9303-10 §3.11.3), then select the application again."""
    _send(transport, "SELECT MF", CommandApdu(0x00, 0xA4, 0x00, 0x0C))
    chip_file_write(transport, 0x011C, content)
    chip_application_select(transport, aid)


def chip_activate(transport: Transport, aid: bytes = AID_LDS1) -> None:
    """ACTIVATE FILE on the application by DF name: the chip leaves personalisation for good."""
    _send(transport, "ACTIVATE FILE", CommandApdu(0x00, INS_ACTIVATE_FILE, 0x04, 0x00, aid))
