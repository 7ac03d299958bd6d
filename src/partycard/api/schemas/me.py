"""Schemas of the member's own routes (``/api/v1/me/…``): their record, cards and devices."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from partycard.api.schemas.registry import MemberOut
from partycard.cards.models import Card, CardEvent
from partycard.memberapp.models import Device
from partycard.registry.models import Member

__all__ = ["CardEventOut", "CardOut", "DeviceIn", "DeviceOut", "DeviceRegistered", "MeOut"]


class MeOut(MemberOut):
    """The member's own record, read only (changes go through their cell)."""

    organisation_name: str
    status_label: str

    @staticmethod
    def resolve_organisation_name(obj: Member) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_status_label(obj: Member) -> str:
        return str(obj.get_status_display())


class CardEventOut(Schema):
    transition: str
    from_state: str
    to_state: str
    level: str
    at: dt.datetime


class CardOut(Schema):
    number: str
    kind: str
    state: str
    state_label: str
    level: str
    created_at: dt.datetime
    history: list[CardEventOut]

    @staticmethod
    def from_card(card: Card, events: list[CardEvent]) -> CardOut:
        return CardOut(
            number=card.number,
            kind=card.kind,
            state=card.state,
            state_label=str(card.get_state_display()),
            level=card.level,
            created_at=card.created_at,
            history=[
                CardEventOut(
                    transition=e.transition,
                    from_state=e.from_state,
                    to_state=e.to_state,
                    level=e.level,
                    at=e.at,
                )
                for e in events
            ],
        )


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError("must be base64 (RFC 4648 §4)") from e


class DeviceIn(Schema):
    """The phone's public key: a P-256 SubjectPublicKeyInfo, DER in base64 (WebCrypto's ``spki`` export)."""

    model_config = ConfigDict(extra="forbid")

    spki: Annotated[str, StringConstraints(min_length=4, max_length=400), AfterValidator(_b64)] = Field(
        description="base64 of the SubjectPublicKeyInfo DER of an ECDSA P-256 key."
    )
    label: Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00]*$")] = ""


class DeviceOut(Schema):
    id: int
    fingerprint: str = Field(description="Hex SHA-256 of the key's SubjectPublicKeyInfo.")
    label: str
    user_agent: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    credential_status: str = Field(description="valid, revoked or suspended: the e-card's status.")

    @staticmethod
    def resolve_credential_status(obj: Device) -> str:
        return {0: "valid", 1: "revoked", 2: "suspended"}[obj.credential.status]


class DeviceRegistered(DeviceOut):
    """The new device and its e-card: the QR credential and the SD-JWT VC bound to the phone's key."""

    qr: str = Field(description='The credential QR ("PC1:…"); the app makes the rotating "PC1R:" from it.')
    sd_jwt: str = Field(description="The SD-JWT VC as issued (every disclosure); the member chooses.")
    card_number: str
    expires_at: dt.datetime

    @staticmethod
    def resolve_qr(obj: Device) -> str:
        return obj.credential.qr

    @staticmethod
    def resolve_sd_jwt(obj: Device) -> str:
        return obj.credential.sd_jwt

    @staticmethod
    def resolve_card_number(obj: Device) -> str:
        return obj.credential.card_number

    @staticmethod
    def resolve_expires_at(obj: Device) -> dt.datetime:
        return obj.credential.expires_at
