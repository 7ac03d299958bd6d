"""The chip during personalisation, tested from the ISO command definitions (7816-4 / 7816-8 / 7816-9):
key generation on the chip, writes, the life cycle's end, the private key never leaving, and a chip
personalised, saved, loaded and read over PC/SC that passes passive and active authentication."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partycard.chip.aa import aa_verify
from partycard.chip.apdu import CommandApdu
from partycard.chip.errors import ChipStateMalformed, PersoCommandRefused
from partycard.chip.lds import (
    AID_LDS1,
    DG_TAGS,
    FID_COM,
    FID_DG1,
    FID_DG2,
    FID_DG13,
    FID_DG14,
    FID_DG15,
    FID_SOD,
    com_build,
    dg1_build,
    dg2_build,
    dg13_build,
    dg14_build,
    dg15_build,
    dg15_parse,
)
from partycard.chip.perso import LifeCycle, PersoApplet, chip_state_load, chip_state_save
from partycard.chip.personalise import (
    AppletTransport,
    chip_activate,
    chip_application_select,
    chip_file_write,
    chip_key_generate,
    chip_serial_read,
)
from partycard.chip.reader import card_read
from partycard.chip.sod import sod_build
from partycard.chip.sw import StatusWord
from partycard.trust.keystore.file import FileKeyStore
from partycard.verify.chip import AaMemory, chip_verdict
from partycard.verify.verdict import Outcome
from tests.pcsc import pcsc_inserted, pcsc_reader
from tests.verify.conftest import (
    CARD,
    INDEX_VALID,
    NOW,
    STATUS_URI,
    World,
    build_world,
    photo,
    status_lists_of,
)

__all__ = ["pcsc_reader"]

H = bytes.fromhex


def send(
    chip: PersoApplet, ins: int, p1: int = 0, p2: int = 0, data: bytes = b"", le: int | None = None
) -> bytes:
    return chip.process(CommandApdu(0x00, ins, p1, p2, data, le).encode())


def sw(response: bytes) -> int:
    return int.from_bytes(response[-2:], "big")


def selected() -> PersoApplet:
    chip = PersoApplet()
    assert sw(send(chip, 0xA4, 0x04, 0x0C, AID_LDS1)) == StatusWord.OK
    return chip


def fcp(fid: int, size: int) -> bytes:
    """ISO/IEC 7816-4 §7.4 FCP: 80 = data bytes in the file, 82 = descriptor 01 (transparent working EF),
    83 = the file identifier; written out by hand, not by the code under test."""
    return (
        bytes([0x62, 0x0B, 0x80, 0x02])
        + size.to_bytes(2, "big")
        + H("820101")
        + b"\x83\x02"
        + fid.to_bytes(2, "big")
    )


def test_generate_asymmetric_key_pair_returns_a_p256_point_that_verifies_internal_authenticate() -> None:
    chip = selected()
    response = send(chip, 0x46, le=256)
    assert sw(response) == StatusWord.OK
    body = response[:-2]
    # 7816-8 §5.1: template 7F49, inside it tag 86 = the public point; X9.62 uncompressed = 04 || X || Y.
    assert body[:3] == H("7F4943") and body[3:5] == H("8641") and body[5] == 0x04 and len(body) == 70
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), body[5:])  # on the curve
    nonce = os.urandom(8)
    answer = send(chip, 0x88, data=nonce, le=256)
    assert sw(answer) == StatusWord.OK
    assert aa_verify(public, nonce, answer[:-2])
    assert not aa_verify(public, os.urandom(8), answer[:-2])


def test_key_generation_rules() -> None:
    chip = PersoApplet()
    assert sw(send(chip, 0x46, le=256)) == StatusWord.CONDITIONS_NOT_SATISFIED  # no application selected
    chip = selected()
    assert sw(send(chip, 0x88, data=os.urandom(8), le=256)) == StatusWord.REFERENCED_DATA_NOT_FOUND
    assert sw(send(chip, 0x46, 0x80, 0x00, le=256)) == StatusWord.INCORRECT_P1_P2
    assert sw(send(chip, 0x46)) == StatusWord.WRONG_LENGTH  # no Le: nowhere to put the public key
    assert sw(send(chip, 0x46, le=256)) == StatusWord.OK
    # One key per chip: a second generation would orphan the DG15 already reported.
    assert sw(send(chip, 0x46, le=256)) == StatusWord.CONDITIONS_NOT_SATISFIED


def test_get_data_returns_the_serial() -> None:
    chip = PersoApplet(serial=H("0011223344556677"))
    response = send(chip, 0xCA, 0xDF, 0x20, le=8)
    assert (response[:-2], sw(response)) == (H("0011223344556677"), StatusWord.OK)
    assert chip.serial == "0011223344556677"
    assert sw(send(chip, 0xCA, 0x5F, 0x20, le=8)) == StatusWord.REFERENCED_DATA_NOT_FOUND
    assert PersoApplet().serial != PersoApplet().serial  # a random serial per chip


def test_create_file_and_update_binary() -> None:
    chip = selected()
    assert sw(send(chip, 0xE0, data=fcp(0x0101, 5))) == StatusWord.OK
    # 7816-9 §6.1: the created file is the current EF, so UPDATE BINARY with an offset in P1-P2 writes it.
    assert sw(send(chip, 0xD6, 0, 0, b"\x61\x03")) == StatusWord.OK
    assert sw(send(chip, 0xD6, 0, 2, b"abc")) == StatusWord.OK
    assert send(chip, 0xB0, 0, 0, le=5) == b"\x61\x03abc" + H("9000")
    assert sw(send(chip, 0xD6, 0, 5, b"x")) == StatusWord.WRONG_P1_P2  # offset beyond the EF
    assert sw(send(chip, 0xD6, 0, 3, b"xyz")) == StatusWord.NOT_ENOUGH_MEMORY  # runs past its end
    assert sw(send(chip, 0xD6, 0x81, 0, b"\x62")) == StatusWord.OK  # by SFI 01 = FID 0101
    assert send(chip, 0xB0, 0, 0, le=1) == b"\x62" + H("9000")
    assert sw(send(chip, 0xE0, data=fcp(0x0101, 9))) == StatusWord.FILE_EXISTS
    assert sw(send(chip, 0xE0, data=fcp(0x3F00, 9))) == StatusWord.WRONG_DATA  # the MF's FID
    assert sw(send(chip, 0xE0, data=fcp(0x0102, 0x8001))) == StatusWord.NOT_ENOUGH_MEMORY
    assert sw(send(chip, 0xE0, data=H("6203820101"))) == StatusWord.WRONG_DATA  # no size, no FID


def test_after_activation_only_the_readers_commands_work() -> None:
    chip = selected()
    send(chip, 0xE0, data=fcp(0x0101, 3))
    send(chip, 0xD6, 0, 0, b"\x61\x01a")
    public = chip_key_generate(AppletTransport(chip))
    assert chip.life_cycle is LifeCycle.PERSONALISATION
    assert sw(send(chip, 0x44, 0x04, 0x00, H("A0000002471002"))) == StatusWord.FILE_NOT_FOUND  # another AID
    assert sw(send(chip, 0x44, 0x04, 0x00, AID_LDS1)) == StatusWord.OK
    assert chip.life_cycle is LifeCycle.OPERATIONAL
    # The EFs' update rule is "never" once activated (6982); the other personalisation commands are
    # not allowed in the operational state (6985).
    assert sw(send(chip, 0xD6, 0, 0, b"\x61")) == StatusWord.SECURITY_STATUS_NOT_SATISFIED
    assert sw(send(chip, 0xE0, data=fcp(0x0102, 3))) == StatusWord.CONDITIONS_NOT_SATISFIED
    assert sw(send(chip, 0x46, le=256)) == StatusWord.CONDITIONS_NOT_SATISFIED
    assert sw(send(chip, 0x44, 0x04, 0x00, AID_LDS1)) == StatusWord.CONDITIONS_NOT_SATISFIED
    assert send(chip, 0xB0, 0x81, 0, le=3) == b"\x61\x01a" + H("9000")
    nonce = os.urandom(8)
    answer = send(chip, 0x88, data=nonce, le=256)
    assert sw(answer) == StatusWord.OK and aa_verify(public, nonce, answer[:-2])
    assert sw(send(chip, 0xCA, 0xDF, 0x20, le=8)) == StatusWord.OK


def _secret_forms(chip: PersoApplet) -> list[bytes]:
    state = PersoApplet.from_state(chip.state_bytes())  # the only way to see the key: the card's memory
    key = state._key
    assert key is not None
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return [scalar, pkcs8]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0x46, 0xE0, 0xD6, 0x44, 0xCA, 0xB0, 0x88, 0x84, 0xA4, 0xCB, 0x47, 0xB1]),
            st.integers(0, 255),
            st.integers(0, 255),
            st.binary(max_size=40),
            st.one_of(st.none(), st.integers(1, 300)),
        ),
        max_size=25,
    )
)
def test_the_private_key_appears_in_no_response(
    commands: list[tuple[int, int, int, bytes, int | None]],
) -> None:
    chip = selected()
    responses = [send(chip, 0x46, le=256)]
    secrets = _secret_forms(chip)
    for ins, p1, p2, data, le in commands:
        responses.append(send(chip, ins, p1, p2, data, le))
    responses.append(send(chip, 0x44, 0x04, 0x00, AID_LDS1))
    for ins in range(256):
        responses.append(send(chip, ins, 0, 0, le=256))
    for response in responses:
        assert all(secret not in response for secret in secrets)
        assert len(response) <= 258


def test_state_round_trip_is_the_same_card(tmp_path: Path) -> None:
    chip = selected()
    transport = AppletTransport(chip)
    chip_file_write(transport, FID_DG1, b"\x61\x02ab")
    public = chip_key_generate(transport)
    path = tmp_path / "card.chip"
    chip_state_save(chip, path)
    again = chip_state_load(path)
    assert (again.serial, again.life_cycle) == (chip.serial, LifeCycle.PERSONALISATION)
    assert again.public_key is not None and again.public_key.public_numbers() == public.public_numbers()
    # Loading is a power-on: nothing is selected until the terminal selects the application.
    assert sw(send(again, 0xB0, 0, 0, le=1)) == StatusWord.NO_CURRENT_EF
    chip_application_select(AppletTransport(again))
    assert send(again, 0xB0, 0x81, 0, le=4) == b"\x61\x02ab" + H("9000")
    nonce = os.urandom(8)
    assert aa_verify(public, nonce, send(again, 0x88, data=nonce, le=256)[:-2])


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s[:-3],
        lambda s: b"not cbor at all",
        lambda s: s.replace(b"partycard-chip/2", b"partycard-chip/9"),
    ],
    ids=["truncated", "garbage", "other-format"],
)
def test_a_damaged_state_file_is_refused(damage, tmp_path: Path) -> None:
    chip = selected()
    chip_key_generate(AppletTransport(chip))
    path = tmp_path / "card.chip"
    path.write_bytes(damage(chip.state_bytes()))
    with pytest.raises(ChipStateMalformed):
        chip_state_load(path)


def test_the_personaliser_raises_on_a_refusal() -> None:
    chip = selected()
    transport = AppletTransport(chip)
    chip_file_write(transport, FID_DG1, b"\x61\x00")
    with pytest.raises(PersoCommandRefused, match=r"CREATE FILE 0101.*6A89"):
        chip_file_write(transport, FID_DG1, b"\x61\x00")
    chip_activate(transport)
    with pytest.raises(PersoCommandRefused, match="6985"):
        chip_key_generate(transport)


# --- end to end: personalised, saved, loaded, read over PC/SC, judged ------------------------------------


@pytest.fixture(scope="module")
def perso_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(FileKeyStore(tmp_path_factory.mktemp("perso-keys"), b"test passphrase"), "perso")


def personalise(world: World, path: Path) -> str:
    """Pass 1 (data groups and the on-chip key), the SOD signed over the reported DG15 as partycard would,
    pass 2 (EF.COM, EF.SOD, activation); the chip saved at ``path``. Returns the chip's serial."""
    chip = PersoApplet()
    transport = AppletTransport(chip)
    chip_application_select(transport)
    serial = chip_serial_read(transport)
    groups = {
        1: dg1_build(CARD),
        2: dg2_build(photo()),
        13: dg13_build(uri=STATUS_URI, index=INDEX_VALID),
        14: dg14_build(),
    }
    for number, content in groups.items():
        chip_file_write(transport, 0x0100 | number, content)
    groups[15] = dg15_build(chip_key_generate(transport))
    chip_file_write(transport, FID_DG15, groups[15])
    label, certificate = world.signers["good"]
    sod = sod_build(
        store=world.store,
        signer_label=label,
        signer_cert=certificate,
        data_groups=groups,
        signed_at=certificate.not_valid_before_utc.replace(day=2),
    )
    chip_file_write(transport, FID_COM, com_build(tags=tuple(DG_TAGS[n] for n in sorted(groups))))
    chip_file_write(transport, FID_SOD, sod)
    chip_activate(transport)
    chip_state_save(chip, path)
    return serial


@pytest.mark.parametrize("transport", ["memory", "pcsc"])
def test_a_personalised_chip_reads_valid(
    transport: str, perso_world: World, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = tmp_path / "member.chip"
    serial = personalise(perso_world, path)
    if transport == "memory":
        read = card_read(AppletTransport(chip_state_load(path)))
    else:
        reader = request.getfixturevalue("pcsc_reader")
        with pcsc_inserted(lambda: chip_state_load(path), reader) as pcsc:
            read = card_read(pcsc)
            assert chip_serial_read(pcsc) == serial
    assert set(read.files) == {FID_COM, FID_SOD, FID_DG1, FID_DG2, FID_DG13, FID_DG14, FID_DG15}
    verdict = chip_verdict(
        read,
        trust=perso_world.trust(),
        root=perso_world.root,
        now=NOW,
        memory=AaMemory(),
        status=status_lists_of(perso_world),
    )
    assert (verdict.outcome, verdict.reasons) == (Outcome.VALID, ()), verdict.reasons
    assert verdict.holder["full_name"] == CARD.full_name
    chip_key = chip_state_load(path).public_key
    assert chip_key is not None
    assert dg15_parse(read.files[FID_DG15]).public_key.public_numbers() == chip_key.public_numbers()
