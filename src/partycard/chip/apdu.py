"""ISO/IEC 7816-4 §5.1 command APDUs: parse and encode the four cases, in short and extended length.

Used by the card applet to read commands and by the reader to build them, so both sides agree byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from partycard.chip.errors import ApduFormatError

__all__ = ["MAX_LE_EXTENDED", "MAX_LE_SHORT", "CommandApdu"]

MAX_LE_SHORT = 256  # short Le "00" means 256 (ISO/IEC 7816-4 §5.1)
MAX_LE_EXTENDED = 65536  # extended Le "0000" means 65536
_MAX_LC_SHORT = 255
_MAX_LC_EXTENDED = 65535


@dataclass(frozen=True)
class CommandApdu:
    """A command APDU: header CLA INS P1 P2, optional data field (Nc = ``len(data)``), optional Ne (``le``).

    ``le`` is None when the Le field is absent (cases 1 and 3), otherwise Ne in 1..65536. ``extended``
    says whether Lc/Le use the extended (3- or 2-byte) encoding; it is forced on when the data or Ne do
    not fit the short encoding and off for case 1, which has no length fields, so that
    ``CommandApdu.parse(a.encode()) == a`` for every valid ``a``.

    Raises:
        ApduFormatError: a header byte outside 0..255, more than 65535 data bytes, or Ne outside 1..65536.
    """

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    extended: bool = field(default=False)

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            if not 0 <= getattr(self, name) <= 0xFF:
                raise ApduFormatError(f"{name} must be one byte")
        if len(self.data) > _MAX_LC_EXTENDED:
            raise ApduFormatError("the data field holds at most 65535 bytes")
        if self.le is not None and not 1 <= self.le <= MAX_LE_EXTENDED:
            raise ApduFormatError("Ne must be 1..65536 (absent is None)")
        needs_extended = len(self.data) > _MAX_LC_SHORT or (self.le or 0) > MAX_LE_SHORT
        has_lengths = bool(self.data) or self.le is not None
        object.__setattr__(self, "extended", has_lengths and (self.extended or needs_extended))

    @property
    def case(self) -> int:
        """The ISO/IEC 7816-3 §12.1.2 case: 1 (no data, no Le), 2 (Le), 3 (data), 4 (data and Le)."""
        return 1 + (self.le is not None) + 2 * bool(self.data)

    @classmethod
    def parse(cls, apdu: bytes) -> CommandApdu:
        """Decode a command APDU (ISO/IEC 7816-3 §12.1.3 length rules).

        After the 4-byte header: nothing (case 1); one byte Le (2S); Lc≠00 then Lc bytes (3S) and an
        optional 1-byte Le (4S); or 00 then either a 2-byte Le (2E) or a 2-byte Lc≠0000, the data, and
        an optional 2-byte Le (3E/4E). Short Le 00 is 256, extended Le 0000 is 65536.

        Raises:
            ApduFormatError: fewer than 4 bytes, or a body that fits none of the cases.
        """
        if len(apdu) < 4:
            raise ApduFormatError("a command APDU has at least the 4 header bytes")
        cla, ins, p1, p2 = apdu[:4]
        body = apdu[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, le=body[0] or MAX_LE_SHORT)
        if body[0] != 0:
            lc = body[0]
            if len(body) == 1 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:]))
            if len(body) == 2 + lc:
                return cls(cla, ins, p1, p2, bytes(body[1:-1]), body[-1] or MAX_LE_SHORT)
            raise ApduFormatError("short Lc does not match the body length")
        if len(body) == 3:
            return cls(
                cla, ins, p1, p2, le=int.from_bytes(body[1:3], "big") or MAX_LE_EXTENDED, extended=True
            )
        if len(body) < 3:
            raise ApduFormatError("an extended length field needs 3 bytes")
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise ApduFormatError("extended Lc 0000 is not allowed")
        if len(body) == 3 + lc:
            return cls(cla, ins, p1, p2, bytes(body[3:]), extended=True)
        if len(body) == 5 + lc:
            le = int.from_bytes(body[-2:], "big") or MAX_LE_EXTENDED
            return cls(cla, ins, p1, p2, bytes(body[3:-2]), le, extended=True)
        raise ApduFormatError("extended Lc does not match the body length")

    def encode(self) -> bytes:
        """The APDU's bytes, short or extended as :attr:`extended` says (the inverse of :meth:`parse`)."""
        out = bytearray((self.cla, self.ins, self.p1, self.p2))
        if self.extended:
            # ISO/IEC 7816-3 §12.1.3: one 00 byte opens the extended fields, then Lc and/or Le on 2 bytes.
            out.append(0)
            if self.data:
                out += len(self.data).to_bytes(2, "big") + self.data
            if self.le is not None:
                out += (self.le % MAX_LE_EXTENDED).to_bytes(2, "big")
        else:
            if self.data:
                out += bytes((len(self.data),)) + self.data
            if self.le is not None:
                out.append(self.le % MAX_LE_SHORT)
        return bytes(out)
