"""A party-card world for the verifier tests: a root with document signers in every state, a signed trust
list, the signed status lists a reader holds, and cards — genuine and tampered — that run as applets in
memory or in vpcd behind pcscd.

The PC/SC side (pcscd + vpcd) is tests/pcsc.py's.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType

import pytest
from PIL import Image

from partycard.chip.applet import Applet
from partycard.chip.image import ChipImage, chip_image_build
from partycard.chip.lds import AID_LDS1, FID_DG14, FID_SOD, CardData, dg14_build
from partycard.chip.reader import CardRead, card_read
from partycard.chip.sod import sod_build
from partycard.ecard.status import (
    STATUS_INVALID,
    STATUS_SUSPENDED,
    StatusList,
    status_list_jwt_sign,
    status_list_pack,
)
from partycard.trust.keystore import KeyStore
from partycard.trust.keystore.file import FileKeyStore
from partycard.verify.status import status_list_verify_jwt
from partycard.verify.verdict import Reason
from tests.pcsc import pcsc_inserted, pcsc_reader
from tests.pki import ROOT_CN, T0, PkiWorld, build_pki

__all__ = ["pcsc_reader"]  # the fixture, for the tests here


def assert_vietnamese(reasons: Iterable[Reason]) -> None:
    """Every reason has its Vietnamese from the catalogue (verify/words.py): not empty, not the English."""
    untranslated = [r for r in reasons if not r.message_vi or r.message_vi == r.message_en]
    assert untranslated == [], f"reasons without Vietnamese (fill django.po): {untranslated}"


NOW = T0 + timedelta(days=3)  # when the cards are read: the trust list (next update T0 + 7 d) is fresh

# The status lists a reader holds (draft-ietf-oauth-status-list §7.1: 0x00 VALID, 0x01 INVALID,
# 0x02 SUSPENDED; 0x03 is application-specific, and we define no meaning for it).
STATUS_URI = "https://thedangvien.example/api/v1/status-lists/1"  # fresh at NOW
STALE_URI = "https://thedangvien.example/api/v1/status-lists/2"  # issued 2 h before NOW, ttl 15 min
MISSING_URI = "https://thedangvien.example/api/v1/status-lists/99"  # no list held
INDEX_VALID, INDEX_REVOKED, INDEX_SUSPENDED, INDEX_UNDEFINED = 0, 1, 2, 3
STATUS_ENTRIES = 16
STATUS_TTL = timedelta(minutes=15)


class World(PkiWorld):
    """Root, signers and the trust list a reader holds; labels are the key store's."""

    now = NOW


def build_world(store: KeyStore, prefix: str, cn: str = ROOT_CN) -> World:
    """tests/pki.py's world for the chip: the signers sign ``PC`` (the chip) and ``EC`` (status lists, as
    ``partycard pki``'s document signers do); no ``chip_only``."""
    base = build_pki(
        store, prefix, cn=cn, document_types=("PC", "EC"), signers=("good", "revoked", "expired", "unlisted")
    )
    return World(base.store, base.root, base.signers, base.trust_document)


def photo(size: tuple[int, int] = (240, 320)) -> bytes:
    """A JPEG of about the size a card photo has (noise does not compress away)."""
    image = Image.effect_noise(size, 40).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


CARD = CardData(
    card_number="01.234.567",
    full_name="Nguyễn Thị Minh Khai",
    date_of_birth=date(1985, 7, 14),
    gender="F",
    date_admitted=date(2010, 5, 19),
    date_official=date(2011, 5, 19),
    issuing_committee="Đảng ủy phường Ba Đình",
    issue_date=date(2026, 3, 1),
)

_chip_labels = iter(range(1_000_000))


def issue_card(
    world: World,
    signer: str = "good",
    *,
    card: CardData = CARD,
    signed_at: datetime | None = None,
    status: tuple[str, int] | None = (STATUS_URI, INDEX_VALID),
    pace: bool = False,
) -> ChipImage:
    """A genuine chip image signed by ``world``'s signer ``signer``, a day into its validity unless given,
    whose DG13 names ``status`` (a valid entry of the fresh list unless given; None: no DG13).

    ``pace``: the card as made since issue 18 (CAN, EF.CardAccess, DG14 with the CA key). Without it,
    the card of before PACE that is still in members' hands: DG14 announces active authentication only,
    no CAN, read in plain (the same image with DG14 rebuilt and EF.SOD signed again over it).
    """
    label, certificate = world.signers[signer]
    when = signed_at or certificate.not_valid_before_utc + timedelta(days=1)
    image = chip_image_build(
        store=world.store,
        signer_label=label,
        signer_cert=certificate,
        card=card,
        photo_jpeg=photo(),
        chip_key_label=f"chip-{next(_chip_labels)}",
        signed_at=when,
        status=status,
    )
    if pace:
        return image
    files = dict(image.files)
    files[FID_DG14] = dg14_build()
    groups = {n: files[0x0100 | n] for n in (1, 2, 13, 14, 15) if 0x0100 | n in files}
    files[FID_SOD] = sod_build(
        store=world.store, signer_label=label, signer_cert=certificate, data_groups=groups, signed_at=when
    )
    return ChipImage(files=MappingProxyType(files), chip_key_label=image.chip_key_label)


def status_entries() -> bytearray:
    """One status per byte: index 1 revoked, 2 suspended, 3 the undefined value 3, the rest valid."""
    values = bytearray(STATUS_ENTRIES)
    values[INDEX_REVOKED] = STATUS_INVALID
    values[INDEX_SUSPENDED] = STATUS_SUSPENDED
    values[INDEX_UNDEFINED] = 3
    return values


def status_token(
    world: World,
    *,
    uri: str = STATUS_URI,
    values: bytes | bytearray | None = None,
    issued_at: datetime = NOW - timedelta(minutes=5),
    signer: str = "good",
) -> str:
    """A status list JWT signed by ``signer`` as credentials/publishing.py signs one: 2 bits an entry,
    valid a day, time-to-live 15 minutes."""
    label, certificate = world.signers[signer]
    return status_list_jwt_sign(
        world.store,
        label,
        certificate,
        uri=uri,
        packed=status_list_pack(status_entries() if values is None else values, 2),
        bits=2,
        issued_at=issued_at,
        expires_at=issued_at + timedelta(days=1),
        ttl=STATUS_TTL,
    )


def status_lists_of(world: World) -> tuple[StatusList, ...]:
    """What a reader holds at NOW: the fresh list (STATUS_URI) and a stale one (STALE_URI, past its
    time-to-live), each verified against the trust list as read-card verifies them."""
    tokens = (status_token(world), status_token(world, uri=STALE_URI, issued_at=NOW - timedelta(hours=2)))
    return tuple(
        status_list_verify_jwt(token, trust=world.trust(), root=world.root, now=NOW) for token in tokens
    )


@dataclass
class Card:
    """What is on a chip: its files, the key it signs INTERNAL AUTHENTICATE with, and (a card made since
    PACE, issue 18) its CAN, EF.CardAccess and the ECDH with its chip-authentication key."""

    files: Mapping[int, bytes]
    sign: Callable[[bytes], bytes]
    aa_answer: bytes | None = None  # a recorded answer the chip plays back instead of signing
    can: str | None = None
    card_access: bytes | None = None
    ca_agree: Callable[[bytes], bytes] | None = None

    def applet(self) -> Applet | _ReplayingApplet:
        applet = Applet(
            AID_LDS1,
            self.files,
            self.sign,
            can=self.can,
            card_access=self.card_access,
            ca_key_agree=self.ca_agree,
        )
        return applet if self.aa_answer is None else _ReplayingApplet(applet, self.aa_answer)


class _ReplayingApplet:
    """A fake chip that answers INTERNAL AUTHENTICATE with a recorded signature, whatever the nonce."""

    def __init__(self, applet: Applet, answer: bytes) -> None:
        self._applet, self._answer = applet, answer

    def process(self, apdu: bytes) -> bytes:
        if len(apdu) > 1 and apdu[1] == 0x88:
            return self._answer + b"\x90\x00"
        return self._applet.process(apdu)


def card_of(world: World, image: ChipImage) -> Card:
    return Card(
        files=dict(image.files),
        sign=lambda message: world.store.sign(image.chip_key_label, message),
        can=image.can or None,
        card_access=image.card_access or None,
        ca_agree=(lambda point: world.store.derive(image.ca_key_label, point))
        if image.ca_key_label
        else None,
    )


class MemoryTransport:
    """The applet called directly: the same APDUs as over PC/SC, without the stack."""

    def __init__(self, applet: Applet | _ReplayingApplet) -> None:
        self._applet = applet

    def transmit(self, apdu: bytes) -> bytes:
        return self._applet.process(apdu)


def read_over(kind: str, card: Card, request: pytest.FixtureRequest) -> CardRead:
    """Read ``card`` in memory or through pcscd, as the parameter ``kind`` says."""
    if kind == "memory":
        return card_read(MemoryTransport(card.applet()), can=card.can)
    reader = request.getfixturevalue("pcsc_reader")
    with pcsc_inserted(card.applet, reader) as transport:
        return card_read(transport, can=card.can)


@pytest.fixture(scope="session")
def verify_store(tmp_path_factory: pytest.TempPathFactory) -> FileKeyStore:
    return FileKeyStore(tmp_path_factory.mktemp("verify-keys"), b"test passphrase")


@pytest.fixture(scope="session")
def world(verify_store: FileKeyStore) -> World:
    return build_world(verify_store, "w")


@pytest.fixture(scope="session")
def held(world: World) -> tuple[StatusList, ...]:
    """The status lists the reader holds (:func:`status_lists_of`)."""
    return status_lists_of(world)


@pytest.fixture(scope="session")
def impostor(verify_store: FileKeyStore) -> World:
    """A root with the genuine root's name and its own key: signers that claim the genuine root."""
    return build_world(verify_store, "impostor")


@pytest.fixture(scope="session")
def other_root(verify_store: FileKeyStore) -> World:
    """An unrelated root (another scheme's, or an attacker's own)."""
    return build_world(verify_store, "other", cn="CSCA Attacker")
