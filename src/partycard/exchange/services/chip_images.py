"""Signing a case's chip image (issue 5's production hook): what production batches to the manufacturer.

For a case the Centre accepted (so it has its card number), :func:`chip_image_sign` builds the chip's
files from the member's record (``chip.image.chip_image_build``), signs EF.SOD with the document signer
that may sign now (``core.signing.document_signer_current``), and stores them as one
:class:`ChipImageRecord` with one audit row, in one transaction. It does not move the case: starting
production is the card's (``cards.services.card_start_production``), started by the production batch.

What goes on the chip:

* DG1 (``chip.lds.CardData``): the card number; the full name (NFC, inner whitespace collapsed); the date
  of birth; the gender (the registry's ``M``/``F``); the admission and official dates; the **issuing
  committee**, the committee directly above the member's grassroots organisation (the commune level,
  ``OrgLevel.COMMUNE``), which decides cards and keeps the issuance register (workflow.py's DECIDE step;
  Regulation 06-QĐ/TW), found from the case's cell's path; and the issue date, the signing date in the
  project's time zone.
* DG2: the member's photo, as stored if it is a JPEG of at most ``MAX_PHOTO_BYTES``, otherwise re-encoded
  to a JPEG within ``PHOTO_SIZE``. A member without a photo gets a generated grey silhouette **for the
  demo only**: ``settings.PARTYCARD["CHIP_PLACEHOLDER_PHOTO"]`` allows it (on by default, off in the
  production settings, where a missing photo refuses the case).
* DG14: active authentication's algorithm and the chip-authentication key (9303-11 §9.2.5-9.2.6); with
  it, EF.CardAccess announcing PACE with ``settings.PARTYCARD["PACE_PARAMETER_ID"]`` (12, P-256, by
  default) and the card access number drawn for this card (chip/can.py), printed on the card.
* DG13: the card's status list reference ``(uri, index)``, so that a reader can tell a revoked card
  offline: the card's own entry in the signing document signer's status list
  (``cards.services.card_status_reserve``; a card not yet handed over reads SUSPENDED until it is), or
  what the caller gives (``status=``). A case without a card (data from before the cards app) gets no
  DG13, and a reader answers "cannot tell" (``card_status_unknown``, docs/trust.md).
"""

from __future__ import annotations

import functools
import hashlib
import io
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from partycard.audit.services import audit_record
from partycard.cards.lifecycle import CardState
from partycard.cards.models import Card
from partycard.cards.services import card_chip_record, card_status_reserve
from partycard.cards.status_lists import status_list_uri
from partycard.chip.applet import Applet
from partycard.chip.errors import ChipError, ChipFormatError
from partycard.chip.image import (
    DEFAULT_PACE_PARAMETER_ID,
    ChipImage,
    chip_applet,
    chip_image_build,
    chip_power_on,
)
from partycard.chip.lds import FID_DG15, FID_SOD, CardData, face_record_build
from partycard.core import clock
from partycard.core.signing import (
    DocumentSigner,
    SigningUnavailable,
    document_signer_current,
    pki_directory,
    pki_keystore_open,
)
from partycard.exchange.models import Case, ChipImageRecord, chip_files_encode
from partycard.exchange.services.cases import BulkOutcome, CaseError, home_level
from partycard.exchange.workflow import Level, Problem, State
from partycard.registry.choices import Gender
from partycard.registry.models import Member, Organisation
from partycard.registry.selectors import issuing_committee_name
from partycard.trust.errors import TrustError
from partycard.trust.keystore import KeyExists, KeyStore

__all__ = [
    "MAX_PHOTO_BYTES",
    "PHOTO_SIZE",
    "ChipImageError",
    "chip_card_data",
    "chip_image_sign",
    "chip_images_sign",
    "chip_key_labels",
    "chip_photo",
    "photo_placeholder",
    "record_applet",
    "record_card",
]

MAX_PHOTO_BYTES = 20_000  # a chip's DG2 budget; a larger photo is re-encoded
PHOTO_SIZE = (240, 320)  # ICAO's portrait proportions (3:4), the most a re-encoded photo keeps
_KEY_ATTEMPTS = 10  # chip key labels tried per case (see chip_key_labels)
_GENDERS: dict[str, str] = {Gender.MALE: "M", Gender.FEMALE: "F"}  # registry code → DG1 code


class ChipImageError(CaseError):
    """Signing refused; ``problems`` says every reason in Vietnamese and English (the API answers 409)."""


def _problem(code: str, vi: str, en: str) -> Problem:
    return Problem(code, en, (), vi)


def chip_key_labels(case_id: int) -> list[str]:
    """The key store labels a case's chip key may take, in the order they are tried.

    The label names the case, so an operator can tell whose key it is. A key store is not transactional:
    if the database write fails after the chip key was generated (or the process dies), the key stays in
    the store under its label with no record pointing to it, and labels are never reused. The retry
    takes the next label of this list (``chip-case-<id>``, then ``chip-case-<id>-2``, …): the orphaned key
    was never put on a chip and is never used; the stored record names the one key that is.
    """
    base = f"chip-case-{case_id}"
    return [base] + [f"{base}-{n}" for n in range(2, _KEY_ATTEMPTS + 1)]


@functools.cache
def photo_placeholder() -> bytes:
    """A grey head-and-shoulders silhouette, JPEG, ``PHOTO_SIZE``: the demo's photo, never production's."""
    width, height = PHOTO_SIZE
    image = Image.new("RGB", PHOTO_SIZE, (228, 228, 228))
    draw = ImageDraw.Draw(image)
    grey = (160, 160, 160)
    draw.ellipse((width * 0.3, height * 0.16, width * 0.7, height * 0.5), fill=grey)  # head
    draw.ellipse((width * 0.1, height * 0.56, width * 0.9, height * 1.3), fill=grey)  # shoulders
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=75)
    return buffer.getvalue()


def chip_photo(member: Member) -> bytes | Problem:
    """The DG2 (and printed) photo: the member's (re-encoded if needed), the placeholder if allowed, or
    why not."""
    if not member.photo:
        if settings.PARTYCARD.get("CHIP_PLACEHOLDER_PHOTO", False):
            return photo_placeholder()
        return _problem("no_photo", "Đảng viên chưa có ảnh.", "The member has no photo.")
    try:
        with member.photo.open("rb") as f:
            raw = f.read()
    except OSError:
        return _problem(
            "photo_unreadable", "Không đọc được ảnh của đảng viên.", "The member's photo cannot be read."
        )
    if raw.startswith(b"\xff\xd8\xff") and len(raw) <= MAX_PHOTO_BYTES:
        try:
            face_record_build(raw)  # DG2's 19794-5 record reads the JPEG's header (size, colour space)
            return raw
        except ChipFormatError:
            pass  # a JPEG whose header does not read: re-encoded below if Pillow can, else refused
    try:
        with Image.open(io.BytesIO(raw)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError):
        return _problem(
            "photo_unreadable",
            "Ảnh của đảng viên không phải là ảnh hợp lệ.",
            "The member's photo is not an image.",
        )
    image.thumbnail(PHOTO_SIZE)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def chip_card_data(
    *, number: str, member: Member, cell: Organisation, at: datetime, committee: str | None = None
) -> CardData | list[Problem]:
    """DG1's fields (and the printed card's) for card ``number`` of ``member`` in ``cell``, or every
    reason they cannot be made. ``committee``: the issuing committee's name when the caller knows it
    (a batch resolves it once per cell); otherwise read from ``cell``'s path."""
    problems: list[Problem] = []
    gender = _GENDERS.get(member.gender)
    if gender is None:
        problems.append(_problem("gender", "Giới tính không hợp lệ.", "The member's gender is not M or F."))
    if member.date_official is None:
        problems.append(
            _problem(
                "not_official",
                "Đảng viên chưa có ngày chính thức.",
                "The member has no date of becoming an official member.",
            )
        )
    if problems or gender is None or member.date_official is None:
        return problems
    return CardData(
        card_number=str(number),
        full_name=" ".join(unicodedata.normalize("NFC", member.full_name).split()),
        date_of_birth=member.date_of_birth,
        gender=gender,
        date_admitted=member.date_admitted,
        date_official=member.date_official,
        issuing_committee=" ".join((committee or issuing_committee_name(cell)).split()),
        issue_date=timezone.localdate(at),
    )


def _actor_problems(actor: Any) -> list[Problem]:
    """Only the Centre signs (or the system: ``actor`` None, for jobs and the command line)."""
    if actor is None or home_level(actor) is Level.CENTRE:
        return []
    return [
        _problem("wrong_level", "Chỉ Trung ương được ký dữ liệu chip.", "Only the Centre signs chip images.")
    ]


def _signing(store: KeyStore | None, directory: Path | None, at: datetime) -> tuple[KeyStore, DocumentSigner]:
    """The store and the document signer that signs at ``at``, or ChipImageError saying why not."""
    directory = directory or pki_directory()
    try:
        signer = document_signer_current(directory=directory, at=at)
        return (store if store is not None else pki_keystore_open(directory)), signer
    except SigningUnavailable as e:
        raise ChipImageError([Problem(e.reason, e.message_en, (), e.message_vi)]) from e


def _build(
    case: Case,
    card: CardData,
    photo: bytes,
    store: KeyStore,
    signer: DocumentSigner,
    at: datetime,
    status: tuple[str, int] | None,
) -> ChipImage:
    for label in chip_key_labels(case.pk):
        try:
            return chip_image_build(
                store=store,
                signer_label=signer.label,
                signer_cert=signer.certificate,
                card=card,
                photo_jpeg=photo,
                chip_key_label=label,
                signed_at=at,
                status=status,
                pace_parameter_id=settings.PARTYCARD.get("PACE_PARAMETER_ID", DEFAULT_PACE_PARAMETER_ID),
            )
        except KeyExists:
            continue  # an earlier attempt's orphaned key (chip_key_labels): take the next label
        except (ChipError, TrustError, ValueError) as e:  # ValueError: PACE_PARAMETER_ID not 12 or 13
            raise ChipImageError(
                [
                    _problem(
                        "signing_failed",
                        f"Không tạo được dữ liệu chip: {e}",
                        f"The chip image could not be built: {e}",
                    )
                ]
            ) from e
    raise ChipImageError(
        [
            _problem(
                "chip_key_labels",
                "Đã hết nhãn khóa chip dành cho hồ sơ này; cần kiểm tra kho khóa.",
                "Every chip key label of this case is taken; check the key store.",
            )
        ]
    )


def _sign(
    *,
    actor: Any,
    case_id: int,
    store: KeyStore,
    signer: DocumentSigner,
    at: datetime,
    status: tuple[str, int] | None = None,
) -> ChipImageRecord:
    """One case, one transaction: lock the case, check, build, store, audit (or ChipImageError)."""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("member", "organisation")
            .filter(pk=case_id)
            .first()
        )
        if case is None:
            raise ChipImageError([_problem("not_found", "Không tìm thấy hồ sơ.", "No such case.")])
        existing = ChipImageRecord.objects.filter(case=case).first()
        if existing is not None:  # signed meanwhile (the lock serialises signers of one case)
            return existing
        problems: list[Problem] = []
        if case.state != State.ACCEPTED:
            problems.append(
                _problem(
                    "wrong_state",
                    f"Chỉ ký dữ liệu chip cho hồ sơ Trung ương đã duyệt; hồ sơ đang ở trạng thái "
                    f"{case.state}.",
                    f"Only a case accepted by the Centre is signed; this one is {case.state}.",
                )
            )
        if not case.card_number:
            problems.append(
                _problem("no_card_number", "Hồ sơ chưa có số thẻ.", "The case has no card number.")
            )
        card = Card.objects.filter(case=case).first()
        if card is not None and card.state != CardState.ALLOCATED:  # its chip is fixed once in production
            problems.append(
                _problem(
                    "wrong_state",
                    f"Thẻ đã qua bước sản xuất (trạng thái {card.state}): không ký lại dữ liệu chip.",
                    f"The card is past production ({card.state}): its chip data is not signed again.",
                )
            )
        data = chip_card_data(number=str(case.card_number), member=case.member, cell=case.organisation, at=at)
        photo = chip_photo(case.member)
        problems += data if isinstance(data, list) else []
        problems += [photo] if isinstance(photo, Problem) else []
        if problems or isinstance(data, list) or isinstance(photo, Problem):
            raise ChipImageError(problems)
        if status is None and card is not None:  # the card's own entry, taken in the signer's list
            list_id, index = card_status_reserve(actor=actor, card=card, signer_label=signer.label)
            status = (status_list_uri(list_id), index)
        image = _build(case, data, photo, store, signer, at, status)
        sod_sha256 = hashlib.sha256(image.files[FID_SOD]).hexdigest()
        record = ChipImageRecord(
            case=case,
            card_number=data.card_number,
            signer_label=signer.label,
            signer_serial=signer.serial,
            sod_sha256=sod_sha256,
            chip_key_label=image.chip_key_label,
            files=chip_files_encode(image.files),
            can=image.can,
            card_access=image.card_access,
            ca_key_label=image.ca_key_label,
            signed_at=at,
        )
        record.full_clean()
        record.save()
        if card is not None:  # the card the Centre's acceptance created (cards.services.cards_allocate)
            card_chip_record(
                actor=actor,
                card=card,
                chip_key_fingerprint=hashlib.sha256(image.files[FID_DG15]).hexdigest(),
                sod_sha256=sod_sha256,
                signer_label=signer.label,
            )
        audit_record(
            actor=actor,
            action="exchange.chip_image_sign",
            obj=case,
            changes={
                "chip_image": [None, record.pk],
                "signer_serial": [None, signer.serial],
                "sod_sha256": [None, sod_sha256],
                "chip_key_label": [None, image.chip_key_label],
            },
        )
    return record


def _record_chip(record: ChipImageRecord, store: KeyStore) -> dict[str, Any]:
    return {
        "store": store,
        "files": record.file_set(),
        "chip_key_label": record.chip_key_label,
        "can": record.can,
        "card_access": bytes(record.card_access),
        "ca_key_label": record.ca_key_label,
    }


def record_applet(record: ChipImageRecord, store: KeyStore) -> Applet:
    """The chip of ``record`` as an applet whose keys are in ``store`` (the vpcd card, the demo, tests):
    PACE with the record's CAN and chip authentication when it was signed with them (issue 18), the
    plain card of before otherwise."""
    return chip_applet(**_record_chip(record, store))


def record_card(record: ChipImageRecord, store: KeyStore) -> Callable[[], Applet]:
    """:func:`record_applet` as a chip for vpcd: a fresh applet at each power-on that keeps the chip's
    failed-PACE counter (``chip.image.chip_power_on``)."""
    return chip_power_on(**_record_chip(record, store))


def chip_image_sign(
    *,
    actor: Any,
    case: Case,
    store: KeyStore | None = None,
    directory: Path | None = None,
    at: datetime | None = None,
    status: tuple[str, int] | None = None,
) -> ChipImageRecord:
    """Build and sign the chip image of an accepted case; store it with one audit row, in one transaction.

    Idempotent: a case that already has its image gets that record back, unchanged (nothing is signed,
    nothing audited), so a batch can be re-run after a crash. A case is never signed twice: its row is
    locked while it is signed, so a second signer waits and then finds the first one's record.

    The chip key is generated in the key store, which is not part of the database transaction: see
    :func:`chip_key_labels` for what a failed write leaves behind and how the retry goes on.

    Args:
        actor: a central administrator, or None for the system (jobs, the command line).
        store: the key store holding the document signer's key (default: ``core.signing``'s, opened
            from the environment); the chip key is generated there too.
        directory: the signing authority's directory (default ``core.signing.pki_directory()``).
        at: the signing time (default now): picks the document signer and dates EF.SOD and the card.
        status: the card's status list reference ``(uri, index)``, written to the signed DG13; None:
            the card's own entry (taken now if it has none), or no DG13 for a case without a card.

    Raises:
        ChipImageError: the actor is not the Centre; the case is not accepted, has no card number, or its
            member's data cannot be put on a chip (no official date, no photo in production); the status
            reference cannot be encoded; the key store cannot be opened or no document signer may sign
            now ("run partycard pki rollover"). Nothing is written then.
    """
    if problems := _actor_problems(actor):
        raise ChipImageError(problems)
    existing = ChipImageRecord.objects.filter(case_id=case.pk).first()
    if existing is not None:
        return existing
    at = at or clock.now()
    store, signer = _signing(store, directory, at)
    return _sign(actor=actor, case_id=case.pk, store=store, signer=signer, at=at, status=status)


def chip_images_sign(
    *,
    actor: Any,
    case_ids: Sequence[int],
    store: KeyStore | None = None,
    directory: Path | None = None,
    at: datetime | None = None,
) -> BulkOutcome:
    """Sign every case of ``case_ids`` (what a production job runs per chunk); report each refused one.

    One transaction per case, so a refusal or failure loses only its own case. The store and the signer
    are resolved once; cases already signed count as succeeded (see :func:`chip_image_sign`).

    Raises:
        ChipImageError: the actor is not the Centre, or nothing can be signed (no key store, no usable
            document signer); no case is touched then.
    """
    if problems := _actor_problems(actor):
        raise ChipImageError(problems)
    at = at or clock.now()
    store_, signer = _signing(store, directory, at)
    outcome = BulkOutcome()
    for case_id in dict.fromkeys(case_ids):
        try:
            _sign(actor=actor, case_id=case_id, store=store_, signer=signer, at=at)
        except ChipImageError as e:
            outcome.refuse(case_id, e.problems)
        else:
            outcome.succeeded.append(case_id)
    return outcome
