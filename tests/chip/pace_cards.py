"""PACE cards for the chip tests: an applet with a CAN, EF.CardAccess and a DG14 announcing chip
authentication, and its keys (real keys and the real applet; a "clone" holds another CA key)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.applet import Applet
from partycard.chip.lds import AID_LDS1, com_build, dg15_build
from partycard.chip.securityinfos import ca_security_infos, card_access_build
from partycard.chip.tlv import tlv_encode

CAN = "123456"


def ca_agree(key: ec.EllipticCurvePrivateKey) -> Callable[[bytes], bytes]:
    """ECDH with ``key`` on the terminal's uncompressed point: the applet's ``ca_key_agree``."""

    def agree(point: bytes) -> bytes:
        return key.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(key.curve, point))

    return agree


@dataclass
class PaceCard:
    """The files and keys of one PACE card; :meth:`applet` makes a fresh chip (a power-on)."""

    parameter_id: int = 12
    with_ca: bool = True
    aa_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    ca_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    @property
    def card_access(self) -> bytes:
        return card_access_build(parameter_id=self.parameter_id)

    @property
    def files(self) -> dict[int, bytes]:
        infos = ca_security_infos(self.ca_key.public_key()) if self.with_ca else []
        dg14 = tlv_encode(0x6E, tlv_encode(0x31, infos))
        return {
            0x011E: com_build(tags=(0x61, 0x6E, 0x6F)),
            0x0101: tlv_encode(0x61, tlv_encode(0x5F1F, "Nguyễn Thị Minh Khai".encode() * 12)),
            0x010E: dg14,
            0x010F: dg15_build(self.aa_key.public_key()),
        }

    def sign(self, message: bytes) -> bytes:
        return self.aa_key.sign(message, ec.ECDSA(hashes.SHA256()))

    def applet(
        self, *, applet_class: type[Applet] = Applet, ca_key: ec.EllipticCurvePrivateKey | None = None, **kw
    ) -> Applet:
        """The chip; ``ca_key`` other than the card's own makes a clone (DG14 copied, key not)."""
        return applet_class(
            AID_LDS1,
            self.files,
            self.sign,
            can=CAN,
            card_access=self.card_access,
            ca_key_agree=ca_agree(ca_key or self.ca_key),
            **kw,
        )


class AppletTransport:
    """The in-memory transport: the applet itself answers (bytes in, bytes out), every APDU logged."""

    def __init__(self, applet: Applet, tamper: Callable[[int, bytes], bytes] | None = None) -> None:
        self.applet = applet
        self.commands: list[bytes] = []
        self._tamper = tamper

    def transmit(self, apdu: bytes) -> bytes:
        if self._tamper is not None:
            apdu = self._tamper(len(self.commands), apdu)
        self.commands.append(apdu)
        return self.applet.process(apdu)
