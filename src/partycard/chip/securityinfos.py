"""The SecurityInfos that PACE and chip authentication need (ICAO 9303-11 §9.2), encoded and parsed.

EF.CardAccess (FID 011C under the MF, 9303-10 §3.11.3) is a DER ``SecurityInfos`` SET that a terminal
reads *before* any access control, to learn which PACE protocol and domain parameters the chip speaks.
DG14 (tag 6E) carries the chip authentication infos. This profile uses one of each:

* PACEInfo (§9.2.1): id-PACE-ECDH-GM-AES-CBC-CMAC-128, version 2, parameterId 12 (NIST P-256) or 13
  (brainpoolP256r1), the standardized domain parameters of §9.5.1 Table 6;
* ChipAuthenticationInfo (§9.2.5): id-CA-ECDH-AES-CBC-CMAC-128, version 1, and
  ChipAuthenticationPublicKeyInfo (§9.2.6): id-PK-ECDH with the chip's static key as a
  SubjectPublicKeyInfo. We write the key with a named curve (RFC 5480); TR-03110-3 §A.6 (via 9303-11
  §9.2.6) asks for explicit domain parameters, which standard readers also parse from the named form.
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import core
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.errors import ChipFormatError
from partycard.chip.tlv import tlv_unwrap

__all__ = [
    "CA_VERSION",
    "ID_CA_ECDH_AES_CBC_CMAC_128",
    "ID_PACE_ECDH_GM_AES_CBC_CMAC_128",
    "ID_PK_ECDH",
    "PACE_PARAMETER_IDS",
    "PACE_VERSION",
    "CaInfo",
    "PaceInfo",
    "SecurityInfo",
    "SecurityInfos",
    "ca_info_parse",
    "ca_security_infos",
    "card_access_build",
    "card_access_parse",
    "security_infos_parse",
]

_BSI_DE = "0.4.0.127.0.7"  # bsi-de OBJECT IDENTIFIER ::= {itu-t(0) identified-organization(4) etsi(0)
#                            reserved(127) etsi-identified-organization(0) 7}, 9303-11 §9.2
#: 9303-11 §9.2.1: id-PACE = bsi-de protocols(2) smartcard(2) 4; ECDH-GM = 2; AES-CBC-CMAC-128 = 2.
ID_PACE_ECDH_GM_AES_CBC_CMAC_128 = f"{_BSI_DE}.2.2.4.2.2"
#: 9303-11 §9.2.5: id-CA = bsi-de 2 2 3; ECDH = 2; AES-CBC-CMAC-128 = 2.
ID_CA_ECDH_AES_CBC_CMAC_128 = f"{_BSI_DE}.2.2.3.2.2"
#: 9303-11 §9.2.6: id-PK = bsi-de 2 2 1; ECDH = 2.
ID_PK_ECDH = f"{_BSI_DE}.2.2.1.2"
PACE_VERSION = 2  # 9303-11 §9.2.1: version SHALL be 2
CA_VERSION = 1  # 9303-11 §9.2.5: ChipAuthenticationInfo version SHALL be 1

#: 9303-11 §9.5.1 Table 6: standardized domain parameter IDs -> curves (the 256-bit ones we support).
PACE_PARAMETER_IDS: dict[int, ec.EllipticCurve] = {12: ec.SECP256R1(), 13: ec.BrainpoolP256R1()}


class SecurityInfo(core.Sequence):
    """9303-11 §9.2: SEQUENCE { protocol OID, requiredData ANY, optionalData ANY OPTIONAL }."""

    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("required_data", core.Any),
        ("optional_data", core.Any, {"optional": True}),
    ]


class SecurityInfos(core.SetOf):
    """9303-11 §9.2: SecurityInfos ::= SET OF SecurityInfo (EF.CardAccess, DG14)."""

    _child_spec = SecurityInfo


@dataclass(frozen=True, slots=True)
class PaceInfo:
    """One PACEInfo: the protocol OID (dotted), its version, and the standardized domain parameter ID."""

    protocol: str
    version: int
    parameter_id: int

    @property
    def curve(self) -> ec.EllipticCurve:
        return PACE_PARAMETER_IDS[self.parameter_id]


@dataclass(frozen=True, slots=True)
class CaInfo:
    """DG14's chip authentication: the protocol OID, its version, the key ID (or None) and the static key."""

    protocol: str
    version: int
    key_id: int | None
    public_key: ec.EllipticCurvePublicKey


def _integer(any_value: core.Any) -> int:
    value = core.Integer.load(any_value.dump(), strict=True).native
    if not isinstance(value, int):
        raise ChipFormatError("not an INTEGER")
    return value


def security_infos_parse(data: bytes) -> list[tuple[str, bytes, bytes | None]]:
    """A DER SecurityInfos SET as (protocol OID, requiredData DER, optionalData DER or None) in order.

    Raises:
        ChipFormatError: not DER SecurityInfos.
    """
    try:
        infos = SecurityInfos.load(bytes(data), strict=True)
        out = []
        for info in infos:
            optional = info["optional_data"]
            out.append(
                (
                    info["protocol"].dotted,
                    info["required_data"].dump(),
                    None if isinstance(optional, core.Void) else optional.dump(),
                )
            )
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as e:
        raise ChipFormatError(f"not DER SecurityInfos: {e}") from e
    return out


def card_access_build(*, parameter_id: int) -> bytes:
    """EF.CardAccess: a SecurityInfos SET with one PACEInfo (ECDH-GM, AES-128, v2, ``parameter_id``)."""
    if parameter_id not in PACE_PARAMETER_IDS:
        raise ValueError(
            f"parameter ID {parameter_id} is not a supported curve (12 P-256, 13 brainpoolP256r1)"
        )
    info = SecurityInfo(
        {
            "protocol": ID_PACE_ECDH_GM_AES_CBC_CMAC_128,
            "required_data": core.Integer(PACE_VERSION),
            "optional_data": core.Integer(parameter_id),
        }
    )
    return bytes(SecurityInfos([info]).dump(force=True))


def card_access_parse(data: bytes) -> PaceInfo:
    """The PACEInfo we can use from EF.CardAccess (the first supported one, in file order).

    Raises:
        ChipFormatError: not SecurityInfos, or no PACEInfo with our protocol, version 2 and a supported
            standardized parameter ID.
    """
    for protocol, required, optional in security_infos_parse(data):
        if protocol != ID_PACE_ECDH_GM_AES_CBC_CMAC_128 or optional is None:
            continue
        try:
            version = _integer(core.Any.load(required))
            parameter_id = _integer(core.Any.load(optional))
        except (ValueError, TypeError) as e:
            raise ChipFormatError(f"malformed PACEInfo: {e}") from e
        if version == PACE_VERSION and parameter_id in PACE_PARAMETER_IDS:
            return PaceInfo(protocol, version, parameter_id)
    raise ChipFormatError("EF.CardAccess announces no PACE protocol this reader supports")


def ca_security_infos(public_key: ec.EllipticCurvePublicKey) -> list[bytes]:
    """The two SecurityInfos (each DER) that announce chip authentication with ``public_key`` in DG14.

    A ChipAuthenticationInfo (id-CA-ECDH-AES-CBC-CMAC-128, version 1, no key ID: the chip has one CA key)
    and a ChipAuthenticationPublicKeyInfo (id-PK-ECDH, SubjectPublicKeyInfo). ``lds.dg14_build`` puts
    them into DG14's SET beside the ActiveAuthenticationInfo.
    """
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ca = SecurityInfo({"protocol": ID_CA_ECDH_AES_CBC_CMAC_128, "required_data": core.Integer(CA_VERSION)})
    pk = SecurityInfo({"protocol": ID_PK_ECDH, "required_data": core.Any.load(spki)})
    return [bytes(ca.dump(force=True)), bytes(pk.dump(force=True))]


def ca_info_parse(dg14_bytes: bytes) -> CaInfo | None:
    """The chip authentication DG14 announces, or None if it announces none we support.

    Raises:
        ChipFormatError: DG14 is malformed, or a ChipAuthenticationInfo comes without a usable public key.
    """
    infos = security_infos_parse(tlv_unwrap(dg14_bytes, 0x6E))
    ca = [
        (required, optional)
        for protocol, required, optional in infos
        if protocol == ID_CA_ECDH_AES_CBC_CMAC_128
    ]
    keys = [(required, optional) for protocol, required, optional in infos if protocol == ID_PK_ECDH]
    if not ca:
        return None
    if len(ca) > 1 or len(keys) != 1:
        raise ChipFormatError(
            "DG14 must hold one ChipAuthenticationInfo and one ECDH public key (one CA key)"
        )
    try:
        version = _integer(core.Any.load(ca[0][0]))
        key_id = None if ca[0][1] is None else _integer(core.Any.load(ca[0][1]))
        key = serialization.load_der_public_key(keys[0][0])
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise ChipFormatError(f"malformed chip authentication info: {e}") from e
    if version != CA_VERSION:
        raise ChipFormatError(f"ChipAuthenticationInfo version {version}, expected {CA_VERSION}")
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ChipFormatError("the chip authentication key is not an EC key")
    return CaInfo(ID_CA_ECDH_AES_CBC_CMAC_128, version, key_id, key)
