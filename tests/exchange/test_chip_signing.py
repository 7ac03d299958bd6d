"""Signing an accepted case's chip image: the SOD verifies, DG1 is the member's, refusals write nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify
from partycard.cards.lifecycle import STATUS_OF, STATUS_SUSPENDED, CardState
from partycard.cards.models import Card
from partycard.cards.services import card_start_production
from partycard.cards.status_lists import status_list_current, status_list_uri
from partycard.chip import lds
from partycard.chip.lds import FID_COM, FID_DG1, FID_DG2, FID_DG13, FID_DG14, FID_DG15, FID_SOD, CardData
from partycard.chip.sod import dg_hash, sod_parse
from partycard.core.signing import DocumentSigner, document_signer_current
from partycard.exchange.models import Case, ChipImageRecord, chip_files_decode, chip_files_encode
from partycard.exchange.services import (
    ChipImageError,
    case_propose,
    case_transition,
    chip_image_sign,
    chip_images_sign,
)
from partycard.exchange.services import chip_images as chip_images_module
from partycard.exchange.services.chip_images import MAX_PHOTO_BYTES, chip_key_labels, photo_placeholder
from partycard.exchange.workflow import State, Transition
from partycard.registry.models import Member
from partycard.trust.authority import authority_init
from partycard.trust.keystore.file import FileKeyStore
from tests.exchange.conftest import Officers, card_holder
from tests.trust.conftest import T0

pytestmark = pytest.mark.django_db

ACTION = "exchange.chip_image_sign"
DG_FIDS = {1: FID_DG1, 2: FID_DG2, 14: FID_DG14, 15: FID_DG15}


@dataclasses.dataclass
class Authority:
    directory: Path
    store: FileKeyStore

    def sign(self, actor: Any, case: Case, **kwargs: Any) -> ChipImageRecord:
        kwargs.setdefault("at", T0)
        return chip_image_sign(actor=actor, case=case, store=self.store, directory=self.directory, **kwargs)


@pytest.fixture
def authority(tmp_path: Path) -> Authority:
    """A fresh authority per test (cheap), so chip key labels (named by case id) never meet a stale key."""
    store = FileKeyStore(tmp_path / "keys", b"test passphrase")
    authority_init(store=store, directory=tmp_path, now=T0)
    return Authority(tmp_path, store)


def _case(officers: Officers, campaign: Any, member: Member, until: State = State.ACCEPTED) -> Case:
    case = case_propose(actor=officers.cell, campaign=campaign, member=member)
    steps = [
        (officers.grassroots, Transition.CONFIRM, State.CONFIRMED),
        (officers.upper, Transition.DECIDE, State.DECIDED),
        (officers.province, Transition.FORWARD, State.FORWARDED),
        (officers.centre, Transition.ACCEPT, State.ACCEPTED),
    ]
    for actor, transition, state in steps:
        if case.state == until:
            break
        case = case_transition(actor=actor, case=case, transition=transition)
        assert case.state == state
    return case


@pytest.fixture
def accepted(officers: Officers, campaign: Any, make_member: Any) -> Case:
    return _case(
        officers,
        campaign,
        card_holder(make_member, full_name="Nguyễn  Thị Minh Khai", gender="F", citizen_id="001180012345"),
    )


def _signings() -> int:
    return AuditEvent.objects.filter(action=ACTION).count()


def _codes(e: pytest.ExceptionInfo[ChipImageError]) -> set[str]:
    return {p.code for p in e.value.problems}


def _der(key: ec.EllipticCurvePublicKey) -> bytes:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_bytes(serialization.Encoding.DER, spki)


# --- the file set's encoding --------------------------------------------------------------------------


def test_files_encoding_round_trips_in_fid_order() -> None:
    files = {0x011D: b"sod", 0x0101: b"\x61\x00", 0x0102: b""}
    data = chip_files_encode(files)
    assert data == (
        b"\x01\x01\x00\x00\x00\x02\x61\x00" + b"\x01\x02\x00\x00\x00\x00" + b"\x01\x1d\x00\x00\x00\x03sod"
    )
    assert chip_files_decode(data) == files
    assert chip_files_decode(b"") == {}


@pytest.mark.parametrize(
    "data",
    [
        b"\x01\x01\x00\x00",  # truncated header
        b"\x01\x01\x00\x00\x00\x05abc",  # truncated file
        b"\x01\x01\x00\x00\x00\x00" * 2,  # repeated file ID
        b"\x01\x02\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00",  # out of order
    ],
)
def test_files_decoding_refuses_malformed_data(data: bytes) -> None:
    with pytest.raises(ValueError):
        chip_files_decode(data)


def test_files_encoding_refuses_a_file_id_beyond_two_bytes() -> None:
    with pytest.raises(ValueError):
        chip_files_encode({0x10000: b""})


# --- signing ------------------------------------------------------------------------------------------


def test_signed_image_verifies_and_carries_the_member(
    authority: Authority, officers: Officers, accepted: Case
) -> None:
    record = authority.sign(officers.centre, accepted)
    signer = document_signer_current(directory=authority.directory, at=T0)
    files = record.file_set()
    assert set(files) == {FID_COM, FID_DG1, FID_DG2, FID_DG13, FID_DG14, FID_DG15, FID_SOD}

    # EF.SOD: the data group hashes match the stored files, and the DS signature verifies.
    sod = sod_parse(files[FID_SOD])
    assert sod.certificate == signer.certificate
    fids = {**DG_FIDS, 13: FID_DG13}
    assert sod.data_group_hashes == {n: dg_hash(files[fid]) for n, fid in fids.items()}
    assert hashlib.sha256(sod.lds_security_object_der).digest() == sod.message_digest
    public_key = signer.certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(sod.signature, sod.signed_attrs_der, ec.ECDSA(hashes.SHA256()))
    assert sod.signing_time == T0

    # DG1: the member's data, the card number, the committee that decided (Ba Đình), the signing date.
    member = accepted.member
    assert lds.dg1_parse(files[FID_DG1]) == CardData(
        card_number=str(accepted.card_number),
        full_name="Nguyễn Thị Minh Khai",
        date_of_birth=member.date_of_birth,
        gender="F",
        date_admitted=member.date_admitted,
        date_official=member.date_official,
        issuing_committee="Đảng bộ phường Ba Đình",
        issue_date=timezone.localdate(T0),
    )
    assert lds.dg2_parse(files[FID_DG2]).photo_jpeg == photo_placeholder()  # no photo: the demo's

    # The record: what the production batch sends; the chip key stays in the store under its label.
    assert (record.case_id, record.card_number) == (accepted.pk, accepted.card_number)
    assert (record.signer_label, record.signer_serial) == ("ds-1", signer.serial)
    assert record.sod_sha256 == hashlib.sha256(files[FID_SOD]).hexdigest()
    assert record.chip_key_label == chip_key_labels(accepted.pk)[0]
    dg15 = lds.dg15_parse(files[FID_DG15])
    assert _der(authority.store.public_key(record.chip_key_label)) == _der(dg15.public_key)

    # DG13: the entry of the card the acceptance created, taken in the signer's status list.
    card = Card.objects.get(case=accepted)
    assert card.status_list_id is not None and card.status_index is not None
    assert lds.dg13_parse(files[FID_DG13]) == lds.StatusReference(
        status_list_uri(card.status_list_id), card.status_index
    )

    # One audit row, on the case, in a chain that still verifies; the case itself does not move.
    event = AuditEvent.objects.get(action=ACTION)
    assert (event.object_type, event.object_id, event.actor) == ("exchange.case", str(accepted.pk), "tw")
    assert event.changes["sod_sha256"] == [None, record.sod_sha256]
    assert audit_verify().ok
    assert Case.objects.get(pk=accepted.pk).state == State.ACCEPTED


def test_a_status_reference_goes_on_the_chip_signed(
    authority: Authority, officers: Officers, accepted: Case
) -> None:
    """``status=(uri, index)`` (what the cards app passes) becomes DG13, hashed by EF.SOD with the rest."""
    uri = "https://thedangvien.example/api/v1/status-lists/4"
    record = authority.sign(officers.centre, accepted, status=(uri, 70_001))
    files = record.file_set()
    assert set(files) == {FID_COM, FID_DG1, FID_DG2, FID_DG13, FID_DG14, FID_DG15, FID_SOD}
    assert lds.dg13_parse(files[FID_DG13]) == lds.StatusReference(uri, 70_001)
    fids = {**DG_FIDS, 13: FID_DG13}
    assert sod_parse(files[FID_SOD]).data_group_hashes == {n: dg_hash(files[fid]) for n, fid in fids.items()}


def test_a_bad_status_reference_refuses_before_a_chip_key_is_made(
    authority: Authority, officers: Officers, accepted: Case
) -> None:
    with pytest.raises(ChipImageError) as e:
        authority.sign(officers.centre, accepted, status=("not a uri", 1))
    assert _codes(e) == {"signing_failed"}
    assert not ChipImageRecord.objects.exists() and _signings() == 0
    assert not [label for label in authority.store.labels() if label.startswith("chip-")]


def test_signing_twice_returns_the_first_image(
    authority: Authority, officers: Officers, accepted: Case
) -> None:
    first = authority.sign(officers.centre, accepted)
    keys = authority.store.labels()
    again = authority.sign(officers.centre, accepted, at=T0 + timedelta(days=1))
    assert again.pk == first.pk and bytes(again.files) == bytes(first.files)
    # Even once no signer may sign any more: the image exists, nothing is signed again.
    late = authority.sign(None, accepted, at=T0 + timedelta(days=400))
    assert late.pk == first.pk
    assert authority.store.labels() == keys
    assert ChipImageRecord.objects.count() == 1 and _signings() == 1


def test_a_member_photo_goes_on_the_chip(
    authority: Authority, officers: Officers, campaign: Any, make_member: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    small, large = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (60, 80), (200, 150, 120)).save(small, format="JPEG")
    Image.effect_noise((600, 800), 90).convert("RGB").save(large, format="PNG")
    assert len(large.getvalue()) > MAX_PHOTO_BYTES
    photos = []
    for n, (name, content) in enumerate([("a.jpg", small.getvalue()), ("b.png", large.getvalue())]):
        member = card_holder(make_member, citizen_id=f"00108001234{n}", old_card_number=f"1234567{n}")
        member.photo.save(name, ContentFile(content), save=False)
        Member.objects.filter(pk=member.pk).update(
            photo=member.photo.name
        )  # the file, as an upload leaves it
        record = authority.sign(officers.centre, _case(officers, campaign, member))
        photos.append(lds.dg2_parse(record.file_set()[FID_DG2]).photo_jpeg)
    assert photos[0] == small.getvalue()  # a small JPEG goes as it is
    with Image.open(io.BytesIO(photos[1])) as reencoded:  # anything else is re-encoded to fit
        assert reencoded.format == "JPEG" and reencoded.size[0] <= 240 and reencoded.size[1] <= 320


def test_a_jpeg_whose_header_does_not_read_is_refused(
    authority: Authority, officers: Officers, campaign: Any, make_member: Any, settings: Any, tmp_path: Path
) -> None:
    """DG2's 19794-5 record states the photo's width and height, read from its header: a file that only
    starts like a JPEG is refused before anything is signed, not left to fail at signing."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    member = card_holder(make_member)
    member.photo.save("a.jpg", ContentFile(b"\xff\xd8\xff\xe0" + bytes(200) + b"\xff\xd9"), save=False)
    Member.objects.filter(pk=member.pk).update(photo=member.photo.name)
    with pytest.raises(ChipImageError) as e:
        authority.sign(officers.centre, _case(officers, campaign, member))
    assert _codes(e) == {"photo_unreadable"}
    assert not ChipImageRecord.objects.exists() and _signings() == 0


def test_production_refuses_a_member_without_a_photo(
    authority: Authority, officers: Officers, accepted: Case, settings: Any
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "CHIP_PLACEHOLDER_PHOTO": False}
    with pytest.raises(ChipImageError) as e:
        authority.sign(officers.centre, accepted)
    assert _codes(e) == {"no_photo"}
    assert not ChipImageRecord.objects.exists() and _signings() == 0


# --- refusals write nothing ---------------------------------------------------------------------------


@pytest.mark.parametrize("until", [State.DECIDED, State.FORWARDED])
def test_only_an_accepted_case_is_signed(
    authority: Authority, officers: Officers, campaign: Any, make_member: Any, until: State
) -> None:
    case = _case(officers, campaign, card_holder(make_member), until=until)
    with pytest.raises(ChipImageError) as e:
        authority.sign(officers.centre, case)
    assert _codes(e) == {"wrong_state", "no_card_number"}
    assert "accepted by the Centre" in str(e.value)
    assert all(p.message_vi for p in e.value.problems)
    assert not ChipImageRecord.objects.exists() and _signings() == 0
    assert not [label for label in authority.store.labels() if label.startswith("chip-")]


def test_the_accepted_case_s_card_takes_the_signed_chip(
    authority: Authority, officers: Officers, accepted: Case
) -> None:
    """The card the acceptance created records the chip it will carry (its key's fingerprint, its SOD's
    hash) and gets its status-list entry, suspended until the hand-over."""
    record = authority.sign(officers.centre, accepted)
    card = Card.objects.get(case=accepted)
    files = record.file_set()
    assert (card.number, card.state) == (accepted.card_number, CardState.ALLOCATED)
    assert card.sod_sha256 == record.sod_sha256
    assert card.chip_key_fingerprint == hashlib.sha256(files[FID_DG15]).hexdigest()
    assert card.status_list is not None and card.status_index is not None
    listed = status_list_current(card.status_list, at=T0)
    assert listed.status(card.status_index) == STATUS_OF[CardState.ALLOCATED] == STATUS_SUSPENDED


def test_a_card_already_in_production_is_not_signed_again(
    authority: Authority, officers: Officers, accepted: Case
) -> None:
    """Production starts on the card now (the case stays accepted): its chip can no longer change."""
    card_start_production(actor=officers.centre, card=Card.objects.get(case=accepted))
    with pytest.raises(ChipImageError) as e:
        authority.sign(officers.centre, accepted)
    assert _codes(e) == {"wrong_state"}
    assert all(p.message_vi for p in e.value.problems)
    assert not ChipImageRecord.objects.exists() and _signings() == 0
    assert not [label for label in authority.store.labels() if label.startswith("chip-")]


def test_only_the_centre_signs(authority: Authority, officers: Officers, accepted: Case) -> None:
    for actor in (officers.cell, officers.grassroots, officers.upper, officers.province):
        with pytest.raises(ChipImageError) as e:
            authority.sign(actor, accepted)
        assert _codes(e) == {"wrong_level"}
    assert not ChipImageRecord.objects.exists() and _signings() == 0
    assert authority.sign(None, accepted).case_id == accepted.pk  # the system (a job, the CLI) may


def test_no_usable_signer_refuses_and_says_to_roll_over(
    authority: Authority, officers: Officers, accepted: Case
) -> None:
    with pytest.raises(ChipImageError) as e:
        authority.sign(officers.centre, accepted, at=T0 + timedelta(days=91))  # usage period: 90 days
    assert _codes(e) == {"no_usable_signer"}
    assert "partycard pki rollover" in str(e.value)
    assert "partycard pki rollover" in e.value.problems[0].message_vi
    assert not ChipImageRecord.objects.exists() and _signings() == 0


def test_no_key_store_refuses(
    authority: Authority, officers: Officers, accepted: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARTYCARD_PKI_PASSPHRASE", raising=False)
    with pytest.raises(ChipImageError) as e:
        chip_image_sign(actor=officers.centre, case=accepted, directory=authority.directory, at=T0)
    assert _codes(e) == {"key_store_unavailable"}
    assert not ChipImageRecord.objects.exists() and _signings() == 0


def test_the_store_from_the_environment_signs(
    authority: Authority, officers: Officers, accepted: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(authority.directory))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "test passphrase")
    record = chip_image_sign(actor=officers.centre, case=accepted, at=T0)
    assert record.chip_key_label in authority.store.labels()


def test_a_signer_whose_key_is_not_in_the_store_refuses(
    authority: Authority, officers: Officers, accepted: Case, tmp_path: Path
) -> None:
    other = FileKeyStore(tmp_path / "other-keys", b"test passphrase")
    with pytest.raises(ChipImageError) as e:
        chip_image_sign(
            actor=officers.centre, case=accepted, store=other, directory=authority.directory, at=T0
        )
    assert _codes(e) == {"signing_failed"}
    assert not ChipImageRecord.objects.exists() and _signings() == 0


# --- retry after a failed write -----------------------------------------------------------------------


def test_a_retry_after_a_failed_write_signs_with_the_next_key_label(
    authority: Authority, officers: Officers, accepted: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(chip_images_module, "audit_record", broken)
        with pytest.raises(RuntimeError):
            authority.sign(officers.centre, accepted)
    first, second = chip_key_labels(accepted.pk)[:2]
    assert first in authority.store.labels()  # the orphaned chip key: generated, never recorded
    assert not ChipImageRecord.objects.exists() and _signings() == 0

    record = authority.sign(officers.centre, accepted)
    assert record.chip_key_label == second
    dg15 = lds.dg15_parse(record.file_set()[FID_DG15])
    assert _der(authority.store.public_key(second)) == _der(dg15.public_key)
    assert _signings() == 1


# --- in bulk ------------------------------------------------------------------------------------------


def test_bulk_signs_what_it_may_and_reports_the_rest(
    authority: Authority, officers: Officers, campaign: Any, make_member: Any, accepted: Case
) -> None:
    decided = _case(
        officers,
        campaign,
        card_holder(make_member, citizen_id="001080012399", old_card_number="12345699"),
        until=State.DECIDED,
    )
    ids = [accepted.pk, decided.pk, accepted.pk, 10**9]
    outcome = chip_images_sign(
        actor=officers.centre, case_ids=ids, store=authority.store, directory=authority.directory, at=T0
    )
    assert outcome.succeeded == [accepted.pk]
    assert {p.code for p in outcome.problems[decided.pk]} == {"wrong_state", "no_card_number"}
    assert {p.code for p in outcome.problems[10**9]} == {"not_found"}
    assert [f.target_id for f in outcome.failures] == [decided.pk, 10**9]
    assert ChipImageRecord.objects.count() == 1 and _signings() == 1
    with pytest.raises(ChipImageError):  # nothing can be signed: no case is touched
        chip_images_sign(
            actor=officers.centre,
            case_ids=[decided.pk],
            store=authority.store,
            directory=authority.directory,
            at=T0 + timedelta(days=91),
        )


def test_current_signer_is_a_document_signer(authority: Authority) -> None:
    signer = document_signer_current(directory=authority.directory, at=T0)
    assert isinstance(signer, DocumentSigner) and signer.label == "ds-1"


def test_the_admin_shows_an_image_read_only(
    authority: Authority, officers: Officers, accepted: Case, client: Any, admin_user: Any, login: Any
) -> None:
    record = authority.sign(officers.centre, accepted)
    login(client, admin_user)
    page = client.get(f"/admin/exchange/chipimagerecord/{record.pk}/change/")
    assert page.status_code == 200
    assert record.sod_sha256 in page.content.decode() and "0101:" in page.content.decode()
