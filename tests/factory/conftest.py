"""A manufacturer and the Party around it, for the factory tests.

The Party side is simulated here with the real libraries (the lead builds the production app): a test
PKI (tests/pki.py), batches sealed by its document signer to the factory's encryption certificate, and
the SOD file signed with ``chip.sod.sod_build`` over the DG15s the factory's key report returned.
The factory is driven through its command (``partycard.factory.cli.main``) in process, and as a
subprocess where a test kills it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from PIL import Image

from partycard.batches import (
    Batch,
    BatchCard,
    PrintFields,
    SodCard,
    SodFile,
    batch_encode,
    key_report_decode,
    report_decode,
    seal,
    sha256_hex,
    sod_file_encode,
    verify_report,
)
from partycard.chip.can import can_generate
from partycard.chip.lds import DG_TAGS, CardData, com_build, dg1_build, dg2_build, dg13_build, dg14_build
from partycard.chip.securityinfos import card_access_build
from partycard.chip.sod import sod_build
from partycard.factory.cli import PASSPHRASE_ENV, main
from partycard.trust import pki
from partycard.trust.keystore.file import FileKeyStore
from tests.pki import SmallPki, build_small_pki

NOW = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
AT = NOW.isoformat()
PASSPHRASE = "factory test passphrase"
STATUS_URI = "https://thedangvien.example/api/v1/status-lists/1"


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((120, 160), 40).convert("RGB").save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


PHOTO = photo()


@dataclass(frozen=True)
class Run:
    """One command's exit status and output."""

    status: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    capsys.readouterr()
    status = main(list(argv))
    captured = capsys.readouterr()
    return Run(status, captured.out, captured.err)


@dataclass
class Party:
    """The Party's side: its root and document signer, and what it sends the factory."""

    store: FileKeyStore
    world: SmallPki
    directory: Path

    @property
    def root(self) -> x509.Certificate:
        return self.world.root

    def member(self, number: str, index: int) -> tuple[CardData, PrintFields]:
        names = ["Nguyễn Thị Minh Khai", "Trần Văn Ơn", "Lê Thị Hồng Gấm", "Phạm Văn Đồng", "Võ Thị Sáu"]
        data = CardData(
            card_number=number,
            full_name=names[index % len(names)],
            date_of_birth=date(1970 + index % 30, 1 + index % 12, 1 + index % 28),
            gender="F" if index % 2 == 0 else "M",
            date_admitted=date(2005, 5, 19),
            date_official=date(2006, 5, 19),
            issuing_committee="Đảng ủy phường Ba Đình",
            issue_date=NOW.date(),
        )
        fields = PrintFields(
            card_number=data.card_number,
            full_name=data.full_name,
            date_of_birth=data.date_of_birth,
            gender=data.gender,
            date_admitted=data.date_admitted,
            date_official=data.date_official,
            issuing_committee=data.issuing_committee,
            issue_date=data.issue_date,
            photo_jpeg=PHOTO,
        )
        return data, fields

    def batch(self, code: str, count: int, *, version: int = 1) -> Batch:
        """A batch /1 (plain cards, DG14 from the Party) or /2 (a CAN and EF.CardAccess per card, layout
        v2, DG14 left to the factory)."""
        cards = []
        for index in range(count):
            number = f"{code[-2:]}.{index + 1:06d}"
            data, fields = self.member(number, index)
            files = {0x0101: dg1_build(data), 0x0102: dg2_build(PHOTO)}
            files[0x010D] = dg13_build(uri=STATUS_URI, index=index)
            if version == 1:
                files[0x010E] = dg14_build()
                cards.append(BatchCard(number=number, print=fields, files=files))
            else:
                fields = replace(fields, can=can_generate())
                access = card_access_build(parameter_id=12)
                cards.append(BatchCard(number=number, print=fields, files=files, card_access=access))
        layout = "v1" if version == 1 else "v2"
        return Batch(
            code=code, province="01", layout=layout, created_at=NOW, cards=tuple(cards), version=version
        )

    def seal(self, content: bytes, recipient: x509.Certificate) -> bytes:
        return seal(
            content,
            store=self.store,
            signer_label="ds",
            signer_cert=self.world.ds,
            recipient=recipient,
            at=NOW,
        )

    def batch_file(self, batch: Batch, recipient: x509.Certificate) -> Path:
        path = self.directory / f"{batch.code}.batch.p7m"
        path.write_bytes(self.seal(batch_encode(batch), recipient))
        return path

    def sod_file(
        self,
        batch: Batch,
        keys: Path,
        signing: x509.Certificate,
        recipient: x509.Certificate,
        name: str = "sod",
        **change: object,
    ) -> Path:
        """Verify the key report and sign an EF.SOD over each reported DG15, as partycard does."""
        report = key_report_decode(verify_report(keys.read_bytes(), trusted=[signing], at=NOW))
        by_number = {card.number: card for card in batch.cards}
        cards = []
        for line in report.lines:
            if line.outcome != "personalised":
                continue
            files = by_number[line.number].files
            groups = {int(fid) & 0xFF: content for fid, content in files.items()}
            groups[15] = line.dg15
            if line.dg14:  # key report /2: DG14 is the chip's (its CA key), as partycard signs it
                groups[14] = line.dg14
            sod = sod_build(
                store=self.store,
                signer_label="ds",
                signer_cert=self.world.ds,
                data_groups=groups,
                signed_at=NOW,
            )
            com = com_build(tags=tuple(DG_TAGS[n] for n in sorted(groups)))
            cards.append(SodCard(number=line.number, chip_serial=line.chip_serial, com=com, sod=sod))
        sod_file = SodFile(
            batch=batch.code, keys_sha256=sha256_hex(keys.read_bytes()), created_at=NOW, cards=tuple(cards)
        )
        sod_file = replace(sod_file, **change)  # type: ignore[arg-type]
        path = self.directory / f"{batch.code}.{name}.p7m"
        path.write_bytes(self.seal(sod_file_encode(sod_file), recipient))
        return path


@pytest.fixture(scope="session")
def party(tmp_path_factory: pytest.TempPathFactory) -> Party:
    store = FileKeyStore(tmp_path_factory.mktemp("party-keys"), b"party test passphrase")
    return Party(store, build_small_pki(store, now=NOW, name="Party"), tmp_path_factory.mktemp("party-files"))


@dataclass(frozen=True)
class Factory:
    """A factory directory initialised and trusted, and its two certificates."""

    directory: Path
    signing: x509.Certificate
    encryption: x509.Certificate

    def out(self, name: str) -> Path:
        return self.directory / "out" / name


def _pem(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def factory_make(
    party: Party, directory: Path, capsys: pytest.CaptureFixture[str], name: str = "Nhà máy in"
) -> Factory:
    """``init``, the Party certifying the two public keys (``pki.manufacturer_issue``), ``trust``."""
    assert run(capsys, "init", str(directory), "--organization", name, "--at", AT).status == 0
    keys = [
        serialization.load_pem_public_key((directory / "requests" / f"{kind}.pub.pem").read_bytes())
        for kind in ("signing", "encryption")
    ]
    signing, encryption = pki.manufacturer_issue(
        store=party.store,
        root_label="root",
        root_cert=party.root,
        organization=name,
        signing_key=keys[0],  # type: ignore[arg-type]
        encryption_key=keys[1],  # type: ignore[arg-type]
        not_before=NOW - timedelta(days=1),
    )
    paths = []
    for label, certificate in (("root", party.root), ("signing", signing), ("encryption", encryption)):
        path = party.directory / f"{directory.name}-{label}.pem"
        path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        paths.append(str(path))
    trusted = run(
        capsys,
        "trust",
        str(directory),
        "--root",
        paths[0],
        "--signing-cert",
        paths[1],
        "--encryption-cert",
        paths[2],
        "--at",
        AT,
    )
    assert trusted.status == 0, trusted.err
    return Factory(
        directory, _pem(directory / "certs" / "signing.pem"), _pem(directory / "certs" / "encryption.pem")
    )


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)


@pytest.fixture
def factory(party: Party, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Factory]:
    yield factory_make(party, tmp_path / "factory", capsys)


def report_of(factory: Factory, code: str) -> dict[str, tuple[str, str, str, str]]:
    """The production report, verified with the factory's certificate: number → (outcome, reason, serial,
    fingerprint)."""
    data = factory.out(f"{code}.report.p7s").read_bytes()
    report = report_decode(verify_report(data, trusted=[factory.signing], at=NOW))
    return {
        line.number: (line.outcome, line.reason, line.chip_serial, line.aa_fingerprint)
        for line in report.lines
    }


def personalise(capsys: pytest.CaptureFixture[str], factory: Factory, batch_file: Path, *extra: str) -> Run:
    return run(capsys, "personalise", str(batch_file), "--dir", str(factory.directory), "--at", AT, *extra)


def finish(capsys: pytest.CaptureFixture[str], factory: Factory, sod_file: Path) -> Run:
    return run(capsys, "finish", str(sod_file), "--dir", str(factory.directory), "--at", AT)


__all__: Sequence[str] = [
    "AT",
    "NOW",
    "PASSPHRASE",
    "STATUS_URI",
    "Factory",
    "Party",
    "Run",
    "factory_make",
    "finish",
    "personalise",
    "report_of",
    "run",
]
