"""The PACE card end to end in memory: the applet's access control, PACE with the CAN (right, wrong,
suspended), secure messaging errors that end the session, chip authentication and its clone, and the
reader's CardRead fields. ICAO 9303-11 §4.2 (chip access), §4.4 (PACE), §6.2 (CA), §9.8 (SM)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from partycard.chip.aa import aa_verify
from partycard.chip.apdu import CommandApdu
from partycard.chip.applet import PACE_ATTEMPT_LIMIT, Applet
from partycard.chip.lds import AID_LDS1
from partycard.chip.pace import (
    PACE_OID_BYTES,
    PaceTerminal,
    can_key,
    general_authenticate,
    mse_set_at_pace,
    pace_terminal_run,
)
from partycard.chip.reader import card_read
from partycard.chip.sm import SecureMessaging
from partycard.chip.sw import StatusWord
from partycard.chip.tlv import tlv_encode
from tests.chip.pace_cards import CAN, AppletTransport, PaceCard

H = bytes.fromhex


def _send(applet: Applet, command: CommandApdu) -> tuple[bytes, int]:
    response = applet.process(command.encode())
    return response[:-2], int.from_bytes(response[-2:], "big")


def _pace(applet: Applet, can: str = CAN, parameter_id: int = 12) -> SecureMessaging:
    keys = pace_terminal_run(lambda c: _send(applet, c), parameter_id=parameter_id, password_key=can_key(can))
    return SecureMessaging(keys)


def _protected(applet: Applet, sm: SecureMessaging, command: CommandApdu) -> tuple[bytes, int]:
    return sm.unwrap_response(applet.process(sm.wrap_command(command).encode()))


# --- the reader's view -----------------------------------------------------------------------------------


@pytest.mark.parametrize("parameter_id", [12, 13])
def test_read_with_the_can_runs_pace_and_chip_authentication(parameter_id):
    card = PaceCard(parameter_id=parameter_id)
    transport = AppletTransport(card.applet())
    read = card_read(transport, can=CAN)
    assert (read.pace, read.chip_auth, read.channel_error, read.pace_status) == ("ok", "ok", None, None)
    assert read.card_access == card.card_access
    assert dict(read.files) == card.files
    assert read.aa_status == StatusWord.OK and read.aa_signature is not None
    assert aa_verify(card.aa_key.public_key(), read.aa_nonce, read.aa_signature)
    # Nothing but the MF, EF.CardAccess and PACE went in plain; everything after PACE is protected.
    plain = [c for c in transport.commands if c[0] & 0x0C != 0x0C]
    assert [c[:4].hex() for c in plain] == [
        "00a4000c",
        "00b09c00",
        "00b00008",
        "0022c1a4",
        "10860000",
        "10860000",
        "10860000",
        "00860000",
    ]


def test_without_the_can_nothing_but_card_access():
    card = PaceCard()
    read = card_read(AppletTransport(card.applet()))
    assert read.pace == "required" and dict(read.files) == {} and read.card_access == card.card_access
    assert read.aa_signature is None and read.aa_status == 0


def test_a_card_without_pace_reads_as_before_even_with_a_can():
    card = PaceCard()
    plain = Applet(AID_LDS1, card.files, card.sign)
    for can in (None, CAN):
        read = card_read(AppletTransport(plain), can=can)
        assert (read.pace, read.chip_auth, read.card_access, read.channel_error) == (
            "none",
            "none",
            None,
            None,
        )
        assert dict(read.files) == card.files and read.aa_status == StatusWord.OK


def test_wrong_can_is_refused_and_counted_and_a_right_one_resets():
    applet = PaceCard().applet()
    read = card_read(AppletTransport(applet), can="654321")
    assert (read.pace, read.pace_status, dict(read.files)) == ("failed", StatusWord.AUTHENTICATION_FAILED, {})
    assert applet.pace_failures == 1
    assert card_read(AppletTransport(applet), can=CAN).pace == "ok"
    assert applet.pace_failures == 0


def test_pace_is_suspended_after_the_limit_even_for_the_right_can():
    applet = PaceCard(with_ca=False).applet()
    for _ in range(PACE_ATTEMPT_LIMIT):
        assert (
            card_read(AppletTransport(applet), can="000000").pace_status == StatusWord.AUTHENTICATION_FAILED
        )
    read = card_read(AppletTransport(applet), can=CAN)
    assert (read.pace, read.pace_status) == ("failed", StatusWord.AUTHENTICATION_METHOD_BLOCKED)
    assert (
        _send(applet, mse_set_at_pace(password_ref=2, parameter_id=12))[1]
        == StatusWord.AUTHENTICATION_METHOD_BLOCKED
    )


def test_the_counter_survives_a_power_off():
    card = PaceCard()
    applet = card.applet()
    card_read(AppletTransport(applet), can="000000")
    restored = card.applet(pace_failures=applet.pace_failures)  # a power-on with the chip's memory
    assert restored.pace_failures == 1
    suspended = card.applet(pace_failures=PACE_ATTEMPT_LIMIT)
    assert (
        card_read(AppletTransport(suspended), can=CAN).pace_status == StatusWord.AUTHENTICATION_METHOD_BLOCKED
    )


def test_an_unfinished_pace_run_counts():
    applet = PaceCard().applet()
    assert _send(applet, mse_set_at_pace(password_ref=2, parameter_id=12))[1] == StatusWord.OK
    assert _send(applet, general_authenticate(b"", last=False))[1] == StatusWord.OK  # the nonce went out
    assert applet.pace_failures == 1  # the card is pulled here: the attempt is already counted


def test_chip_authentication_fails_for_a_clone():
    card = PaceCard()
    clone = card.applet(ca_key=ec.generate_private_key(ec.SECP256R1()))  # DG14 copied, private key not
    read = card_read(AppletTransport(clone), can=CAN)
    assert (read.pace, read.chip_auth) == ("ok", "failed")
    assert read.channel_error == "sm_missing"  # the clone could not check our first command on the new keys
    assert clone.last_sm_error == "sm_mac"
    assert set(read.files) == {0x010E}  # DG14 came before CA; nothing after it
    assert read.aa_signature is None


def test_a_card_that_refuses_chip_authentication_is_read_over_pace():
    card = PaceCard()
    applet = Applet(AID_LDS1, card.files, card.sign, can=CAN, card_access=card.card_access)  # no CA key
    read = card_read(AppletTransport(applet), can=CAN)
    assert (read.pace, read.chip_auth, read.channel_error) == ("ok", "failed", None)
    assert dict(read.files) == card.files


def test_no_chip_authentication_when_dg14_does_not_announce_it():
    read = card_read(AppletTransport(PaceCard(with_ca=False).applet()), can=CAN)
    assert (read.pace, read.chip_auth, read.channel_error) == ("ok", "none", None)


def test_sm_chunk_fits_short_responses():
    card = PaceCard()
    transport = AppletTransport(card.applet())
    read = card_read(transport, can=CAN, chunk=256)
    assert dict(read.files) == card.files
    read = card_read(AppletTransport(card.applet()), can=CAN, chunk=4000)  # extended length under SM
    assert dict(read.files) == card.files


# --- the applet's access control --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        CommandApdu(0, 0xA4, 4, 0x0C, AID_LDS1),
        CommandApdu(0, 0xB0, 0x81, 0, le=4),
        CommandApdu(0, 0x84, 0, 0, le=8),
        CommandApdu(0, 0x88, 0, 0, b"12345678", 256),
        CommandApdu(0, 0xA4, 2, 0x0C, H("0101")),
        CommandApdu(0, 0xCA, 0xDF, 0x20, le=8),
    ],
)
def test_before_pace_everything_else_is_security_status_not_satisfied(command):
    applet = PaceCard().applet()
    assert _send(applet, command) == (b"", StatusWord.SECURITY_STATUS_NOT_SATISFIED)


def test_card_access_is_readable_before_pace():
    card = PaceCard()
    applet = card.applet()
    assert _send(applet, CommandApdu(0, 0xA4, 0, 0x0C, H("3F00")))[1] == StatusWord.OK
    assert _send(applet, CommandApdu(0, 0xB0, 0x9C, 0, le=256)) == (card.card_access, StatusWord.END_OF_FILE)
    assert _send(applet, CommandApdu(0, 0xA4, 2, 0x0C, H("011C")))[1] == StatusWord.OK
    assert _send(applet, CommandApdu(0, 0xB0, 0, 2, le=3)) == (card.card_access[2:5], StatusWord.OK)


def test_protected_commands_without_a_session():
    applet = PaceCard().applet()
    assert (
        _send(applet, CommandApdu(0x0C, 0xA4, 4, 0x0C, AID_LDS1))[1]
        == StatusWord.SECURITY_STATUS_NOT_SATISFIED
    )


def test_mse_refuses_other_passwords_and_parameters():
    applet = PaceCard().applet()
    assert (
        _send(applet, mse_set_at_pace(password_ref=1, parameter_id=12))[1]
        == StatusWord.REFERENCED_DATA_NOT_FOUND
    )
    assert (
        _send(applet, mse_set_at_pace(password_ref=2, parameter_id=13))[1]
        == StatusWord.REFERENCED_DATA_NOT_FOUND
    )
    bad_oid = CommandApdu(0, 0x22, 0xC1, 0xA4, tlv_encode(0x80, PACE_OID_BYTES[:-1] + b"\x04") + H("830102"))
    assert _send(applet, bad_oid)[1] == StatusWord.WRONG_DATA


def _run_to(applet: Applet, step: int, terminal: PaceTerminal) -> bytes:
    """Run PACE up to (not including) GA step ``step``; the last response's inner value."""
    assert _send(applet, mse_set_at_pace(password_ref=2, parameter_id=12))[1] == StatusWord.OK
    data, sw = _send(applet, general_authenticate(b"", last=False))
    assert sw == StatusWord.OK
    value = data[4:]
    if step > 2:
        data, sw = _send(
            applet, general_authenticate(tlv_encode(0x81, terminal.map_nonce(value)), last=False)
        )
        value = data[4:]
    if step > 3:
        data, sw = _send(applet, general_authenticate(tlv_encode(0x83, terminal.agree(value)), last=False))
        value = data[4:]
    return value


@pytest.mark.parametrize(
    ("step", "inner"),
    [
        (2, tlv_encode(0x81, b"\x04" + bytes(64))),  # a mapping key off the curve
        (2, tlv_encode(0x83, b"\x04" + bytes(64))),  # the wrong object for the step
        (3, tlv_encode(0x83, b"\x04" + bytes(64))),
        (4, tlv_encode(0x85, bytes(8))),  # a wrong token: what a wrong CAN looks like
    ],
)
def test_one_status_word_whichever_step_fails(step, inner):
    applet = PaceCard().applet()
    _run_to(applet, step, PaceTerminal(12, can_key(CAN)))
    command = general_authenticate(inner, last=step == 4)
    assert _send(applet, command) == (b"", StatusWord.AUTHENTICATION_FAILED)
    assert applet.pace_failures == 1
    # the run is over: the next step is out of sequence
    assert _send(applet, general_authenticate(inner, last=False))[1] == StatusWord.CONDITIONS_NOT_SATISFIED


def test_wrong_chaining_is_the_same_refusal():
    applet = PaceCard().applet()
    _run_to(applet, 2, PaceTerminal(12, can_key(CAN)))
    assert (
        _send(applet, general_authenticate(tlv_encode(0x81, b"x"), last=True))[1]
        == StatusWord.AUTHENTICATION_FAILED
    )


# --- secure messaging on the applet -----------------------------------------------------------------------


def test_protected_session_reads_and_a_plain_apdu_ends_it():
    card = PaceCard()
    applet = card.applet()
    sm = _pace(applet)
    assert _protected(applet, sm, CommandApdu(0, 0xA4, 4, 0x0C, AID_LDS1)) == (b"", StatusWord.OK)
    assert _protected(applet, sm, CommandApdu(0, 0xB0, 0x81, 0, le=256))[0] == card.files[0x0101][:256]
    assert applet.secure_messaging
    assert (
        _send(applet, CommandApdu(0, 0xA4, 4, 0x0C, AID_LDS1))[1] == StatusWord.SECURITY_STATUS_NOT_SATISFIED
    )
    assert not applet.secure_messaging


@pytest.mark.parametrize(
    ("tamper", "code", "status"),
    [
        (lambda raw: raw[:-3] + bytes([raw[-3] ^ 1]) + raw[-2:], "sm_mac", "6988"),
        (lambda raw: raw[:4] + bytes([raw[4] - 3]) + raw[5 : len(raw) - 4], "sm_truncated", "6988"),
        (lambda raw: raw[:4] + bytes([raw[4] - 10]) + raw[5 : 5 + raw[4] - 10], "sm_missing", "6987"),
    ],
)
def test_an_sm_error_kills_the_session(tamper, code, status):
    applet = PaceCard().applet()
    sm = _pace(applet)
    raw = sm.wrap_command(CommandApdu(0, 0xA4, 4, 0x0C, AID_LDS1)).encode()
    assert applet.process(tamper(raw)) == H(status)
    assert applet.last_sm_error == code and not applet.secure_messaging
    follow = SecureMessaging(sm.keys, ssc=sm.ssc + 1).wrap_command(CommandApdu(0, 0xA4, 4, 0x0C, AID_LDS1))
    assert applet.process(follow.encode()) == H("6982")  # the keys are gone: PACE again


def test_a_replayed_command_is_named():
    applet = PaceCard().applet()
    sm = _pace(applet)
    raw = sm.wrap_command(CommandApdu(0, 0xA4, 4, 0x0C, AID_LDS1)).encode()
    sm.unwrap_response(applet.process(raw))
    assert applet.process(raw) == H("6988") and applet.last_sm_error == "sm_replay"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=120), min_size=1, max_size=6), st.sampled_from([0x0C, 0x1C, 0x00, 0x8C]))
def test_fuzz_after_pace_answers_only_known_words(bodies, cla):
    applet = PaceCard(with_ca=False).applet(random=lambda n: bytes([7]) * n)
    _pace(applet)
    for body in bodies:
        response = applet.process(
            bytes([cla, 0xB0, 0, 0]) + bytes([len(body)]) + body if body else bytes([cla, 0xB0, 0, 0])
        )
        assert len(response) >= 2
        word = int.from_bytes(response[-2:], "big")
        assert word in set(StatusWord)
        if cla & 0x0C == 0x0C and word != StatusWord.SECURITY_STATUS_NOT_SATISFIED:
            assert response in (H("6988"), H("6987"), H("6700"))  # random bytes never pass the MAC


_BEFORE_PACE_OK = {StatusWord.OK, StatusWord.END_OF_FILE}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.builds(
            CommandApdu,
            cla=st.sampled_from([0x00, 0x00, 0x10, 0x0C, 0x1C, 0x80]),
            ins=st.sampled_from([0xA4, 0xB0, 0x84, 0x88, 0x22, 0x86, 0xCA, 0x00]),
            p1=st.one_of(
                st.sampled_from([0x00, 0x02, 0x04, 0x9C, 0x81, 0x8E, 0xC1, 0x41]), st.integers(0, 255)
            ),
            p2=st.one_of(st.sampled_from([0x00, 0x0C, 0xA4]), st.integers(0, 255)),
            data=st.one_of(
                st.just(b""),
                st.just(AID_LDS1),
                st.sampled_from([H("011C"), H("3F00"), H("0101"), H("010E"), H("7C00")]),
                st.binary(max_size=80),
            ),
            le=st.one_of(st.none(), st.integers(1, 300)),
        ),
        max_size=10,
    )
)
def test_fuzz_before_pace_nothing_but_card_access_comes_out(commands):
    card = PaceCard()
    applet = card.applet()
    secret = b"".join(content for fid, content in card.files.items())
    for command in commands:
        response = applet.process(command.encode())
        word = int.from_bytes(response[-2:], "big")
        assert word in set(StatusWord)
        data = response[:-2]
        if data:  # only EF.CardAccess bytes or PACE's dynamic authentication data, never a file's content
            assert word in _BEFORE_PACE_OK
            assert data in card.card_access or data[:1] == b"\x7c", data.hex()
            assert data not in secret or data in card.card_access
