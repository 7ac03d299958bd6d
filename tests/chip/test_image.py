"""The chip image: every file present under its file ID, each parses, EF.SOD covers the data groups."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip import lds
from partycard.chip.errors import ChipFormatError, SodSignerMismatch
from partycard.chip.image import ChipImage, chip_image_build
from partycard.chip.lds import CardData
from partycard.chip.sod import dg_hash, sod_parse
from partycard.trust.keystore import KeyNotFound
from partycard.trust.keystore.file import FileKeyStore
from tests.trust.conftest import Pki, fresh_label

STATUS = ("https://thedangvien.example/api/v1/status-lists/3", 41_217)


def _build(
    store: FileKeyStore,
    pki: Pki,
    card: CardData,
    photo: bytes,
    label: str,
    status: tuple[str, int] | None = None,
) -> ChipImage:
    return chip_image_build(
        store=store,
        signer_label=pki.ds_label,
        signer_cert=pki.ds,
        card=card,
        photo_jpeg=photo,
        chip_key_label=label,
        status=status,
    )


def test_image_files_parse_and_match_the_sod(
    chip_store: FileKeyStore, chip_pki: Pki, card: CardData, photo_jpeg: bytes
) -> None:
    label = fresh_label("chip")
    image = _build(chip_store, chip_pki, card, photo_jpeg, label)
    assert image.chip_key_label == label
    assert set(image.files) == {0x011E, 0x0101, 0x0102, 0x010E, 0x010F, 0x011D}
    assert lds.com_parse(image.files[0x011E]).tags == (0x61, 0x75, 0x6E, 0x6F)
    assert lds.dg1_parse(image.files[0x0101]) == card
    assert lds.dg2_parse(image.files[0x0102]).photo_jpeg == photo_jpeg
    assert lds.dg14_parse(image.files[0x010E]).active_auth_algorithm == lds.ECDSA_PLAIN_SHA256
    assert image.data_group(15) == image.files[0x010F]

    sod = sod_parse(image.files[0x011D])
    assert sod.certificate == chip_pki.ds
    assert sod.data_group_hashes == {n: dg_hash(image.data_group(n)) for n in (1, 2, 14, 15)}


def test_status_reference_is_dg13_listed_and_signed(
    chip_store: FileKeyStore, chip_pki: Pki, card: CardData, photo_jpeg: bytes
) -> None:
    """With a status reference the image gains DG13 (file 010D, tag 6D in EF.COM), hashed by EF.SOD like
    every other data group; the other files are built as without it."""
    image = _build(chip_store, chip_pki, card, photo_jpeg, fresh_label("chip"), STATUS)
    assert set(image.files) == {0x011E, 0x0101, 0x0102, 0x010D, 0x010E, 0x010F, 0x011D}
    assert lds.com_parse(image.files[0x011E]).tags == (0x61, 0x75, 0x6D, 0x6E, 0x6F)
    assert image.data_group(13) == image.files[0x010D] == lds.dg13_build(uri=STATUS[0], index=STATUS[1])
    assert lds.dg13_parse(image.data_group(13)) == lds.StatusReference(*STATUS)
    assert lds.dg1_parse(image.files[0x0101]) == card
    sod = sod_parse(image.files[0x011D])
    assert sod.data_group_hashes == {n: dg_hash(image.data_group(n)) for n in (1, 2, 13, 14, 15)}


def test_chip_key_is_in_the_store_and_signs_for_dg15(
    chip_store: FileKeyStore, chip_pki: Pki, card: CardData, photo_jpeg: bytes
) -> None:
    image = _build(chip_store, chip_pki, card, photo_jpeg, fresh_label("chip"))
    dg15 = lds.dg15_parse(image.data_group(15))
    challenge = bytes(range(8))
    signature = chip_store.sign(image.chip_key_label, challenge)
    dg15.public_key.verify(signature, challenge, ec.ECDSA(hashes.SHA256()))


def test_files_are_read_only(
    chip_store: FileKeyStore, chip_pki: Pki, card: CardData, photo_jpeg: bytes
) -> None:
    image = _build(chip_store, chip_pki, card, photo_jpeg, fresh_label("chip"))
    with pytest.raises(TypeError):
        image.files[0x0101] = b""  # type: ignore[index]


def test_bad_input_fails_before_a_key_is_generated(
    chip_store: FileKeyStore, chip_pki: Pki, card: CardData, photo_jpeg: bytes
) -> None:
    label = fresh_label("chip")
    with pytest.raises(ChipFormatError):
        _build(chip_store, chip_pki, dataclasses.replace(card, gender="?"), photo_jpeg, label)
    with pytest.raises(ChipFormatError):
        _build(chip_store, chip_pki, card, b"not a jpeg", label)
    with pytest.raises(ChipFormatError, match="status list"):
        _build(chip_store, chip_pki, card, photo_jpeg, label, ("not a uri", 1))
    with pytest.raises(ChipFormatError, match="status list"):
        _build(chip_store, chip_pki, card, photo_jpeg, label, (STATUS[0], -1))
    wrong_signer = dataclasses.replace(chip_pki, ds=chip_pki.ds2)
    with pytest.raises(SodSignerMismatch):
        _build(chip_store, wrong_signer, card, photo_jpeg, label)
    with pytest.raises(KeyNotFound):
        chip_store.public_key(label)


def test_the_image_has_a_can_ef_card_access_and_a_ca_key_of_its_own(
    chip_store: FileKeyStore, chip_pki: Pki, card: CardData, photo_jpeg: bytes
) -> None:
    """9303-11 §4.4 (the CAN), §9.2.1 (PACEInfo in EF.CardAccess), §9.2.5-9.2.6 (DG14's CA infos): the
    CA key is a second key pair, apart from the AA key of DG15, and EF.SOD covers the DG14 holding it."""
    from partycard.chip.securityinfos import ca_info_parse, card_access_parse

    images = [_build(chip_store, chip_pki, card, photo_jpeg, fresh_label("chip")) for _ in range(2)]
    image = images[0]
    assert len(image.can) == 6 and image.can.isascii() and image.can.isdigit()
    assert images[0].ca_key_label != images[1].ca_key_label  # a CA key per chip, as the AA key
    assert card_access_parse(image.card_access).parameter_id == 12
    assert image.ca_key_label == f"{image.chip_key_label}.ca"
    ca = ca_info_parse(image.files[0x010E])
    assert ca is not None
    assert ca.public_key.public_numbers() == chip_store.public_key(image.ca_key_label).public_numbers()
    assert ca.public_key.public_numbers() != lds.dg15_parse(image.files[0x010F]).public_key.public_numbers()
    assert sod_parse(image.files[0x011D]).data_group_hashes[14] == dg_hash(image.files[0x010E])
    assert image.can not in repr(image)


def test_the_can_is_uniform_over_six_digits() -> None:
    """Drawn from secrets (the OS CSPRNG): every digit position takes every value, leading zeros kept."""
    from partycard.chip.can import can_generate

    cans = [can_generate() for _ in range(3000)]
    assert all(len(c) == 6 and c.isdigit() for c in cans)
    for position in range(6):
        assert {c[position] for c in cans} == set("0123456789")
    assert len(set(cans)) > 2950  # 3,000 draws from 10^6: a handful of repeats at most


def test_a_given_can_and_brainpool_parameters_are_used(
    chip_store: FileKeyStore, chip_pki: Pki, card: CardData, photo_jpeg: bytes
) -> None:
    from partycard.chip.securityinfos import card_access_parse

    image = chip_image_build(
        store=chip_store,
        signer_label=chip_pki.ds_label,
        signer_cert=chip_pki.ds,
        card=card,
        photo_jpeg=photo_jpeg,
        chip_key_label=fresh_label("chip"),
        can="004711",
        pace_parameter_id=13,
    )
    assert image.can == "004711" and card_access_parse(image.card_access).parameter_id == 13


@pytest.mark.parametrize(("can", "parameter_id"), [("12345", 12), ("1234a6", 12), ("123456", 11)])
def test_a_bad_can_or_parameter_id_is_refused_before_any_key_is_made(
    chip_store: FileKeyStore, chip_pki: Pki, card: CardData, photo_jpeg: bytes, can: str, parameter_id: int
) -> None:
    label = fresh_label("chip")
    with pytest.raises(ValueError):
        chip_image_build(
            store=chip_store,
            signer_label=chip_pki.ds_label,
            signer_cert=chip_pki.ds,
            card=card,
            photo_jpeg=photo_jpeg,
            chip_key_label=label,
            can=can,
            pace_parameter_id=parameter_id,
        )
    assert label not in chip_store.labels()


def test_the_vpcd_chip_keeps_its_failed_pace_counter_across_power_ons(
    chip_store: FileKeyStore, chip_pki: Pki, card: CardData, photo_jpeg: bytes
) -> None:
    """chip_power_on: VirtualCard makes a fresh applet at each power-on or reset; the failed-PACE counter
    is the chip's persistent memory (chip/applet.py), so pulling the card does not give more guesses."""
    from partycard.chip.applet import PACE_ATTEMPT_LIMIT
    from partycard.chip.image import chip_power_on
    from partycard.chip.personalise import AppletTransport
    from partycard.chip.reader import card_read

    image = _build(chip_store, chip_pki, card, photo_jpeg, fresh_label("chip"))
    power_on = chip_power_on(
        store=chip_store,
        files=image.files,
        chip_key_label=image.chip_key_label,
        can=image.can,
        card_access=image.card_access,
        ca_key_label=image.ca_key_label,
    )
    assert card_read(AppletTransport(power_on()), can=image.can).pace == "ok"
    wrong = f"{(int(image.can) + 1) % 10**6:06d}"
    for _ in range(PACE_ATTEMPT_LIMIT):
        assert card_read(AppletTransport(power_on()), can=wrong).pace == "failed"  # a new power-on each
    # Suspended: even the right CAN is refused now, whatever the number of power-ons.
    assert card_read(AppletTransport(power_on()), can=image.can).pace == "failed"
    assert power_on().pace_failures >= PACE_ATTEMPT_LIMIT
