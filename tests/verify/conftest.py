"""A party-card world for the verifier tests: a root with document signers in every state, a signed trust
list, and cards — genuine and tampered — that run as applets in memory or in vpcd behind pcscd.

The PC/SC side (pcscd + vpcd) is tests/pcsc.py's.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography import x509
from PIL import Image

from partycard.chip.applet import Applet
from partycard.chip.image import ChipImage, chip_image_build
from partycard.chip.lds import AID_LDS1, CardData
from partycard.chip.reader import CardRead, card_read
from partycard.trust import pki
from partycard.trust.keystore import KeyStore
from partycard.trust.keystore.file import FileKeyStore
from partycard.trust.trustlist import TrustList, trustlist_build, trustlist_verify
from tests.pcsc import pcsc_inserted, pcsc_reader

__all__ = ["pcsc_reader"]  # the fixture, for the tests here

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=3)  # when the cards are read: the trust list (next update T0 + 7 d) is fresh


@dataclass
class World:
    """Root, signers and the trust list a reader holds; labels are the key store's."""

    store: KeyStore
    root: x509.Certificate
    signers: dict[str, tuple[str, x509.Certificate]]  # name → (label, certificate)
    trust_document: bytes

    def trust(self, now: datetime = NOW) -> TrustList:
        return trustlist_verify(self.trust_document, self.root, now)


def _signer(
    store: KeyStore, root: x509.Certificate, root_label: str, label: str, **kw: object
) -> x509.Certificate:
    return pki.signer_issue(store=store, root_cert=root, root_label=root_label, signer_label=label, **kw)  # type: ignore[arg-type]


def build_world(store: KeyStore, prefix: str, cn: str = "CSCA Dang Cong san Viet Nam") -> World:
    root_label = f"{prefix}-root"
    root = pki.root_create(
        store=store, label=root_label, subject_cn=cn, valid_years=15, not_before=T0 - timedelta(days=400)
    )
    signers = {
        # The everyday signer: signing since T0, for 90 days.
        "good": dict(subject_cn="DS 1", valid_days=3650, private_key_usage_days=90, not_before=T0),
        # Revoked on the CRL below.
        "revoked": dict(subject_cn="DS 2", valid_days=3650, private_key_usage_days=90, not_before=T0),
        # Its certificate ended before NOW (valid 100 days from T0 - 300 d).
        "expired": dict(
            subject_cn="DS 3", valid_days=100, private_key_usage_days=30, not_before=T0 - timedelta(days=300)
        ),
        # Issued by the root but not on the trust list the reader holds (issued after the download).
        "unlisted": dict(subject_cn="DS 4", valid_days=3650, private_key_usage_days=90, not_before=T0),
    }
    issued = {
        name: (f"{prefix}-ds-{name}", _signer(store, root, root_label, f"{prefix}-ds-{name}", **kw))
        for name, kw in signers.items()
    }
    tl_label = f"{prefix}-tl"
    tl_signer = pki.trustlist_signer_issue(
        store=store,
        root_cert=root,
        root_label=root_label,
        signer_label=tl_label,
        subject_cn="TL",
        valid_days=365,
        not_before=T0,
    )
    crl = pki.crl_issue(
        store=store,
        root_cert=root,
        root_label=root_label,
        revoked=[
            (issued["revoked"][1].serial_number, T0 + timedelta(days=1), x509.ReasonFlags.key_compromise)
        ],
        this_update=T0 + timedelta(days=1),
        next_update=T0 + timedelta(days=8),
        crl_number=1,
    )
    listed = [issued[n][1] for n in ("good", "revoked", "expired")]
    document = trustlist_build(
        store=store,
        signer_label=tl_label,
        signer_certificate=tl_signer,
        signers=listed,
        crl=crl,
        issued_at=T0 + timedelta(days=1),
        next_update=T0 + timedelta(days=8),
    )
    return World(store=store, root=root, signers=issued, trust_document=document)


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
    world: World, signer: str = "good", *, card: CardData = CARD, signed_at: datetime | None = None
) -> ChipImage:
    """A genuine chip image signed by ``world``'s signer ``signer``, a day into its validity unless given."""
    label, certificate = world.signers[signer]
    when = signed_at or certificate.not_valid_before_utc + timedelta(days=1)
    return chip_image_build(
        store=world.store,
        signer_label=label,
        signer_cert=certificate,
        card=card,
        photo_jpeg=photo(),
        chip_key_label=f"chip-{next(_chip_labels)}",
        signed_at=when,
    )


@dataclass
class Card:
    """What is on a chip: its files and the key it signs INTERNAL AUTHENTICATE with."""

    files: Mapping[int, bytes]
    sign: Callable[[bytes], bytes]
    aa_answer: bytes | None = None  # a recorded answer the chip plays back instead of signing

    def applet(self) -> Applet | _ReplayingApplet:
        applet = Applet(AID_LDS1, self.files, self.sign)
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
    return Card(files=dict(image.files), sign=lambda message: world.store.sign(image.chip_key_label, message))


class MemoryTransport:
    """The applet called directly: the same APDUs as over PC/SC, without the stack."""

    def __init__(self, applet: Applet | _ReplayingApplet) -> None:
        self._applet = applet

    def transmit(self, apdu: bytes) -> bytes:
        return self._applet.process(apdu)


def read_over(kind: str, card: Card, request: pytest.FixtureRequest) -> CardRead:
    """Read ``card`` in memory or through pcscd, as the parameter ``kind`` says."""
    if kind == "memory":
        return card_read(MemoryTransport(card.applet()))
    reader = request.getfixturevalue("pcsc_reader")
    with pcsc_inserted(card.applet, reader) as transport:
        return card_read(transport)


@pytest.fixture(scope="session")
def verify_store(tmp_path_factory: pytest.TempPathFactory) -> FileKeyStore:
    return FileKeyStore(tmp_path_factory.mktemp("verify-keys"), b"test passphrase")


@pytest.fixture(scope="session")
def world(verify_store: FileKeyStore) -> World:
    return build_world(verify_store, "w")


@pytest.fixture(scope="session")
def impostor(verify_store: FileKeyStore) -> World:
    """A root with the genuine root's name and its own key: signers that claim the genuine root."""
    return build_world(verify_store, "impostor")


@pytest.fixture(scope="session")
def other_root(verify_store: FileKeyStore) -> World:
    """An unrelated root (another scheme's, or an attacker's own)."""
    return build_world(verify_store, "other", cn="CSCA Attacker")
