"""The chip's PACE and chip-authentication material, put on it by the personalisation machine in ISO
commands: the CA key pair generated on the chip under its own key reference (ISO/IEC 7816-8 §5.1 P2),
the CAN by PUT DATA (write-only), EF.CardAccess in the MF (9303-10 §3.11.3), all kept in the chip's
memory file and armed only once the chip is activated."""

from __future__ import annotations

import os
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.aa import aa_verify
from partycard.chip.apdu import CommandApdu
from partycard.chip.errors import ChipStateMalformed, PersoCommandRefused
from partycard.chip.lds import com_build, dg14_build
from partycard.chip.perso import (
    KEY_REF_AA,
    KEY_REF_CA,
    LifeCycle,
    PersoApplet,
    chip_state_load,
    chip_state_save,
)
from partycard.chip.personalise import (
    AppletTransport,
    chip_activate,
    chip_application_select,
    chip_can_write,
    chip_card_access_write,
    chip_file_write,
    chip_key_generate,
)
from partycard.chip.securityinfos import card_access_build, card_access_parse
from partycard.chip.sw import StatusWord


def _send(
    chip: PersoApplet, ins: int, p1: int = 0, p2: int = 0, data: bytes = b"", le: int | None = None
) -> int:
    return int.from_bytes(chip.process(CommandApdu(0x00, ins, p1, p2, data, le).encode())[-2:], "big")


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _personalised(
    can: str = "271828",
) -> tuple[PersoApplet, ec.EllipticCurvePublicKey, ec.EllipticCurvePublicKey]:
    chip = PersoApplet()
    t = AppletTransport(chip)
    chip_application_select(t)
    chip_file_write(t, 0x0101, b"\x61\x02ab")
    aa = chip_key_generate(t, KEY_REF_AA)
    ca = chip_key_generate(t, KEY_REF_CA)
    chip_can_write(t, can)
    chip_card_access_write(t, card_access_build(parameter_id=12))
    return chip, aa, ca


def test_the_ca_key_is_its_own_key_pair_under_its_own_reference() -> None:
    chip, aa, ca = _personalised()
    assert aa.public_numbers() != ca.public_numbers()
    assert chip.ca_public_key is not None and chip.ca_public_key.public_numbers() == ca.public_numbers()
    # One key per reference (a second GENERATE would orphan the public key already reported).
    with pytest.raises(PersoCommandRefused, match="6985"):
        chip_key_generate(AppletTransport(chip), KEY_REF_CA)
    with pytest.raises(PersoCommandRefused, match="6A86"):
        chip_key_generate(AppletTransport(chip), 0x07)  # no such key reference
    # INTERNAL AUTHENTICATE signs with the AA key, never with the CA key (one purpose each).
    nonce = os.urandom(8)
    answer = chip.process(CommandApdu(0x00, 0x88, 0, 0, nonce, 256).encode())
    assert aa_verify(aa, nonce, answer[:-2]) and not aa_verify(ca, nonce, answer[:-2])


def test_the_can_is_write_once_and_never_read_back() -> None:
    chip, _, _ = _personalised()
    assert _send(chip, 0xDA, 0xDF, 0x21, b"000000") == StatusWord.CONDITIONS_NOT_SATISFIED  # once
    assert _send(chip, 0xCA, 0xDF, 0x21, le=6) == StatusWord.REFERENCED_DATA_NOT_FOUND  # no GET DATA
    for bad in (b"12345", b"1234567", b"12a456"):
        fresh = PersoApplet()
        chip_application_select(AppletTransport(fresh))
        assert _send(fresh, 0xDA, 0xDF, 0x21, bad) == StatusWord.WRONG_DATA
    assert b"271828" not in repr(chip).encode()


def test_ef_card_access_lives_in_the_mf_only() -> None:
    chip, _, _ = _personalised()
    assert chip.card_access is not None and card_access_parse(chip.card_access).parameter_id == 12
    assert 0x011C not in chip.files  # not an EF of the application
    fresh = PersoApplet()
    assert _send(fresh, 0xA4, 0x00, 0x0C) == StatusWord.OK  # the MF
    # In the MF the chip has EF.CardAccess only.
    dg1_fcp = bytes.fromhex("620B800200108201018302") + b"\x01\x01"  # 80 size 16, 82 01, 83 FID 0101
    assert _send(fresh, 0xE0, data=dg1_fcp) == StatusWord.CONDITIONS_NOT_SATISFIED


def test_after_activation_nothing_of_it_can_change() -> None:
    chip, _, _ = _personalised()
    chip_activate(AppletTransport(chip))
    assert chip.life_cycle is LifeCycle.OPERATIONAL
    # Armed with a CAN, the chip answers nothing in plain but EF.CardAccess and PACE (9303-11 §4.2).
    assert _send(chip, 0xDA, 0xDF, 0x21, b"000000") == StatusWord.SECURITY_STATUS_NOT_SATISFIED
    assert _send(chip, 0x46, 0, KEY_REF_CA, le=256) == StatusWord.SECURITY_STATUS_NOT_SATISFIED


def test_a_can_without_ef_card_access_cannot_be_activated() -> None:
    chip = PersoApplet()
    t = AppletTransport(chip)
    chip_application_select(t)
    chip_can_write(t, "123456")
    with pytest.raises(PersoCommandRefused, match="6985"):
        chip_activate(t)


def test_the_memory_file_keeps_the_ca_key_the_can_and_ef_card_access(tmp_path: Path) -> None:
    chip, aa, ca = _personalised("314159")
    chip_activate(AppletTransport(chip))
    path = tmp_path / "card.chip"
    chip_state_save(chip, path)
    again = chip_state_load(path)
    assert again.ca_public_key is not None and again.ca_public_key.public_numbers() == ca.public_numbers()
    assert again.public_key is not None and again.public_key.public_numbers() == aa.public_numbers()
    assert again.card_access == chip.card_access
    state = cbor2.loads(path.read_bytes())
    assert state["format"] == "partycard-chip/2" and state["can"] == "314159"
    # The loaded chip answers chip authentication's ECDH with the CA key (9303-11 §6.2).
    terminal = ec.generate_private_key(ec.SECP256R1())
    assert again._chip_agree(_point(terminal.public_key())) == terminal.exchange(ec.ECDH(), ca)


def test_a_chip_of_before_pace_still_loads(tmp_path: Path) -> None:
    chip = PersoApplet()
    t = AppletTransport(chip)
    chip_application_select(t)
    public = chip_key_generate(t)
    state = cbor2.loads(chip.state_bytes())
    old = {k: state[k] for k in ("aid", "serial", "life_cycle", "files", "private_key")}
    old["format"] = "partycard-chip/1"
    path = tmp_path / "old.chip"
    path.write_bytes(cbor2.dumps(old, canonical=True))
    again = chip_state_load(path)
    assert again.public_key is not None and again.public_key.public_numbers() == public.public_numbers()
    assert again.ca_public_key is None and again.card_access is None


@pytest.mark.parametrize(
    "change",
    [
        {"can": "12345"},
        {"can": "123456", "card_access": b""},
        {"can": "", "card_access": b"\x31\x00"},
    ],
    ids=["short-can", "can-without-card-access", "card-access-without-can"],
)
def test_a_state_with_a_broken_can_or_card_access_is_refused(
    change: dict[str, object], tmp_path: Path
) -> None:
    chip, _, _ = _personalised()
    state = cbor2.loads(chip.state_bytes())
    state.update(change)
    path = tmp_path / "bad.chip"
    path.write_bytes(cbor2.dumps(state, canonical=True))
    with pytest.raises(ChipStateMalformed):
        chip_state_load(path)


def test_the_application_is_still_selected_after_writing_ef_card_access() -> None:
    chip, _, _ = _personalised()
    # chip_card_access_write selects the application again: its EFs are found without a new SELECT.
    assert _send(chip, 0xA4, 0x02, 0x0C, b"\x01\x01") == StatusWord.OK


def test_an_activated_chip_reads_only_with_pace_and_proves_its_ca_key(tmp_path: Path) -> None:
    """After activation (and after loading the chip's memory) the reader's side runs: without the CAN
    nothing but EF.CardAccess, with it PACE, chip authentication with the on-chip CA key, the files."""
    from partycard.chip.reader import card_read

    chip, _, _ = _personalised("161803")
    chip_file_write(AppletTransport(chip), 0x010E, dg14_build(ca_public_key=chip.ca_public_key))
    chip_file_write(AppletTransport(chip), 0x011E, com_build(tags=(0x61, 0x6E)))  # EF.COM: DG1, DG14
    chip_activate(AppletTransport(chip))
    path = tmp_path / "card.chip"
    chip_state_save(chip, path)
    for card in (chip, chip_state_load(path)):
        t = AppletTransport(card)
        assert _send(card, 0xCA, 0xDF, 0x20, le=8) == StatusWord.SECURITY_STATUS_NOT_SATISFIED  # no serial
        blind = card_read(t)
        assert (blind.pace, dict(blind.files)) == ("required", {})
        read = card_read(t, can="161803")
        assert (read.pace, read.chip_auth, read.channel_error) == ("ok", "ok", None)
        assert read.files[0x0101] == b"\x61\x02ab"


def test_the_failed_pace_counter_survives_saving_the_chip(tmp_path: Path) -> None:
    """A real chip keeps its retry counter in persistent memory; pulling the card must not reset it."""
    from partycard.chip.reader import card_read

    chip, _, _ = _personalised("577215")
    chip_activate(AppletTransport(chip))
    for _ in range(3):
        assert card_read(AppletTransport(chip), can="000001").pace == "failed"
    assert chip.pace_failures == 3
    path = tmp_path / "card.chip"
    chip_state_save(chip, path)
    again = chip_state_load(path)
    assert again.pace_failures == 3
    assert card_read(AppletTransport(again), can="577215").pace == "ok"
    assert again.pace_failures == 0  # a successful run resets it
