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
