"""AES secure messaging (ICAO 9303-11 §9.8): a reference implementation's vectors byte for byte, both
sides, and every tamper named by its own error code.

ICAO 9303-11's SM worked example (Appendix D.4) is 3DES/BAC only (it runs through the same framing
code in test_sm_icao_vectors.py); the AES vectors are from gmrtd/gmrtd
``pace_test.go`` (TestDoPace_CAM_ECDH): after PACE-CAM with the session keys of 9303-11 Appendix I
(KS_enc 0A9D…, KS_mac 4B1C…, SSC from 0), SELECT EF.CardSecurity and two READ BINARY, commands and
responses, ending at SSC 6. They are gmrtd's own encoding under the appendix's keys, not ICAO's.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partycard.chip.apdu import CommandApdu
from partycard.chip.errors import (
    SecureMessagingError,
    SmCounterError,
    SmFormatError,
    SmMacError,
    SmMissingError,
    SmReplayError,
    SmTruncatedError,
)
from partycard.chip.sm import SecureMessaging, SessionKeys, pad, unpad

H = bytes.fromhex
KEYS = SessionKeys(H("0A9DA4DB03BDDE39FC5202BC44B2E89E"), H("4B1C06491ED5140CA2B537D344C6C0B1"))
CARD_SECURITY_86 = H(
    "060904007f0007020201023052300c060704007f0007010202010d034200041872709494399e7470a6431be25e83eee24fea568c2ed"
    "28db48e05db3a610dc884d256a40e35efcb59bf6753d3a489d28c7a4d973c2da138a6e7a4a08f68e16f02010d"
)
#: (plain command, protected command, protected response, plain response data) from gmrtd.
EXCHANGES = [
    (
        CommandApdu(0x00, 0xA4, 0x02, 0x0C, H("011D")),
        "0ca4020c1d8711013824f3cb16caa40ddff8459c215cc4988e08158449671fcc718300",
        "990290008E085e007ca87260a77f9000",
        b"",
    ),
    (
        CommandApdu(0x00, 0xB0, 0x00, 0x00, le=4),
        "0cb000000d9701048e081049244eed15563d00",
        "8711017B0085CFF0A3845B7F1B02E72BBE6395990290008E083cf26fad48f7888b9000",
        b"1d0b",
    ),
    (
        CommandApdu(0x00, 0xB0, 0x00, 0x04, le=0x62),
        "0cb000040d9701628e08d3fb753d695a16fe00",
        "877101E7E1E51C85C8F09209C59CA459305EC2CC23FD0E6938F3915F74CAAC06794A8518FEB0A11CD8A7C0A26B88F3DA567A803DBDD79AA853"
        "FE272A9C02690017EC95CDCDB0FEB944E1B63FC8F293552F32B663B16E929871E785D164B72DF076B89C480537A5B4B80EAAAAF5E786D89A38"
        "14990290008E080cbfd5f7f43cc3619000",
        CARD_SECURITY_86,
    ),
]


def test_terminal_side_reproduces_the_vectors():
    terminal = SecureMessaging(KEYS)
    for plain, protected, response, data in EXCHANGES:
        assert terminal.wrap_command(plain).encode() == H(protected)
        assert terminal.unwrap_response(H(response)) == (data, 0x9000)
    assert terminal.ssc == 6


def test_chip_side_reproduces_the_vectors():
    chip = SecureMessaging(KEYS)
    for plain, protected, response, data in EXCHANGES:
        unwrapped = chip.unwrap_command(CommandApdu.parse(H(protected)))
        assert (unwrapped.cla, unwrapped.ins, unwrapped.p1, unwrapped.p2, unwrapped.data, unwrapped.le) == (
            plain.cla,
            plain.ins,
            plain.p1,
            plain.p2,
            plain.data,
            plain.le,
        )
        assert chip.wrap_response(data, 0x9000) == H(response)
    assert chip.ssc == 6


def test_padding_method_2():
    assert pad(b"") == b"\x80" + bytes(15)
    assert pad(bytes(15)) == bytes(15) + b"\x80"
    assert pad(bytes(16)) == bytes(16) + b"\x80" + bytes(15)
    assert unpad(pad(b"abc")) == b"abc"
    for bad in (bytes(16), b"abc" + bytes(13), b"\x80" + bytes(16)):
        with pytest.raises(SmFormatError):
            unpad(bad)


def _pair() -> tuple[SecureMessaging, SecureMessaging]:
    return SecureMessaging(KEYS), SecureMessaging(KEYS)


def _exchange(terminal, chip, command, data=b"", sw=0x9000):
    protected = terminal.wrap_command(command)
    chip.unwrap_command(CommandApdu.parse(protected.encode()))
    return terminal.unwrap_response(chip.wrap_response(data, sw))


@pytest.mark.parametrize(
    "command",
    [
        CommandApdu(0, 0xB0, 0, 0, le=256),
        CommandApdu(0, 0xB0, 0x12, 0x34, le=65536, extended=True),
        CommandApdu(0, 0xD6, 0, 0, bytes(range(256)) * 2),
        CommandApdu(0, 0x88, 0, 0, b"12345678", 256),
        CommandApdu(0, 0x84, 0, 0, le=8),
        CommandApdu(0, 0x20, 0, 0),
    ],
)
def test_round_trip(command):
    terminal, chip = _pair()
    protected = terminal.wrap_command(command)
    assert protected.cla == 0x0C
    assert chip.unwrap_command(CommandApdu.parse(protected.encode())) == command
    assert terminal.unwrap_response(chip.wrap_response(b"x" * 300, 0x6282)) == (b"x" * 300, 0x6282)


# --- tamper: each failure names itself -----------------------------------------------------------------


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def test_bad_mac_in_a_response():
    terminal, _chip = _pair()
    terminal.wrap_command(CommandApdu(0, 0xB0, 0, 0, le=4))
    response = SecureMessaging(KEYS, ssc=1).wrap_response(b"abcd", 0x9000)
    with pytest.raises(SmMacError):
        terminal.unwrap_response(_flip(response, 3))  # a byte of the ciphertext


def test_bad_mac_in_a_command():
    terminal, chip = _pair()
    protected = terminal.wrap_command(CommandApdu(0, 0xA4, 2, 0x0C, H("0101"))).encode()
    with pytest.raises(SmMacError):
        chip.unwrap_command(CommandApdu.parse(_flip(protected, 2)))  # P1: the header is MACed


def test_replayed_response():
    terminal, chip = _pair()
    first = chip.wrap_response(b"", 0x9000)  # made under SSC 1: the answer to nothing we sent yet
    terminal.wrap_command(CommandApdu(0, 0xB0, 0, 0, le=4))
    assert terminal.unwrap_response(SecureMessaging(KEYS, ssc=1).wrap_response(b"abcd", 0x9000)) == (
        b"abcd",
        0x9000,
    )
    terminal.wrap_command(CommandApdu(0, 0xB0, 0, 0, le=4))
    with pytest.raises(SmReplayError):
        terminal.unwrap_response(first)


def test_replayed_command():
    terminal, chip = _pair()
    command = terminal.wrap_command(CommandApdu(0, 0xA4, 2, 0x0C, H("0101"))).encode()
    chip.unwrap_command(CommandApdu.parse(command))
    chip.wrap_response(b"", 0x9000)
    with pytest.raises(SmReplayError):
        chip.unwrap_command(CommandApdu.parse(command))


def test_counter_ahead():
    terminal, _chip = _pair()
    terminal.wrap_command(CommandApdu(0, 0xB0, 0, 0, le=4))
    ahead = SecureMessaging(KEYS, ssc=5).wrap_response(b"abcd", 0x9000)  # a chip that skipped APDUs
    with pytest.raises(SmCounterError):
        terminal.unwrap_response(ahead)


@pytest.mark.parametrize("cut", [1, 3, 9, 12])
def test_truncated_response(cut):
    terminal, _ = _pair()
    terminal.wrap_command(CommandApdu(0, 0xB0, 0, 0, le=4))
    response = SecureMessaging(KEYS, ssc=1).wrap_response(b"abcd", 0x9000)
    with pytest.raises(SmTruncatedError):
        terminal.unwrap_response(response[:-2][:-cut] + response[-2:])


def test_truncated_command():
    terminal, chip = _pair()
    protected = terminal.wrap_command(CommandApdu(0, 0xA4, 2, 0x0C, H("0101")))
    cut = CommandApdu(protected.cla, protected.ins, protected.p1, protected.p2, protected.data[:-3], 256)
    with pytest.raises(SmTruncatedError):
        chip.unwrap_command(cut)


def test_plain_response_is_missing_sm():
    terminal, _ = _pair()
    terminal.wrap_command(CommandApdu(0, 0xB0, 0, 0, le=4))
    with pytest.raises(SmMissingError):
        terminal.unwrap_response(H("6988"))


@pytest.mark.parametrize(
    "body",
    [
        "8E08" + "00" * 8 + "990290 00",  # DO'8E' not last
        "99029000" + "8E04" + "00" * 4,  # MAC of 4 bytes
        "99029000" + "99029000" + "8E08" + "00" * 8,  # DO'99' twice
        "990290008E08" + "00" * 8 + "8E08" + "00" * 8,  # DO'8E' twice
        "990290008A0100" + "8E08" + "00" * 8,  # an unknown DO
        "99849000" + "8E08" + "00" * 8,  # a 4-byte length field
    ],
)
def test_malformed_response(body):
    terminal, _ = _pair()
    terminal.wrap_command(CommandApdu(0, 0xB0, 0, 0, le=4))
    with pytest.raises(SmFormatError):
        terminal.unwrap_response(H(body.replace(" ", "")) + H("9000"))


def test_status_trailer_must_match_the_protected_status():
    terminal, _ = _pair()
    terminal.wrap_command(CommandApdu(0, 0xB0, 0, 0, le=4))
    response = SecureMessaging(KEYS, ssc=1).wrap_response(b"abcd", 0x9000)
    with pytest.raises(SmFormatError):
        terminal.unwrap_response(response[:-2] + H("6282"))


def test_an_error_ends_the_session():
    terminal, _chip = _pair()
    terminal.wrap_command(CommandApdu(0, 0xB0, 0, 0, le=4))
    with pytest.raises(SmMissingError):
        terminal.unwrap_response(H("6988"))
    with pytest.raises(SecureMessagingError):
        terminal.wrap_command(CommandApdu(0, 0xB0, 0, 0, le=4))


def test_odd_ins_and_double_wrapping_are_refused():
    terminal, _ = _pair()
    with pytest.raises(ValueError):
        terminal.wrap_command(CommandApdu(0, 0xB1, 0, 0, H("5400"), 256))
    with pytest.raises(ValueError):
        terminal.wrap_command(CommandApdu(0x0C, 0xB0, 0, 0, le=4))


# --- fuzz: hostile bytes at the SM layer raise only SM errors -----------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_unwrap_response_raises_only_sm_errors(response):
    terminal, _ = _pair()
    terminal.wrap_command(CommandApdu(0, 0xB0, 0, 0, le=4))
    with contextlib.suppress(SecureMessagingError):
        terminal.unwrap_response(response)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_fuzz_mutated_protected_commands_are_caught(data):
    terminal, chip = _pair()
    command = data.draw(
        st.sampled_from(
            [
                CommandApdu(0, 0xA4, 2, 0x0C, H("0101")),
                CommandApdu(0, 0xB0, 0, 4, le=200),
                CommandApdu(0, 0x88, 0, 0, b"12345678", 256),
            ]
        )
    )
    raw = bytearray(terminal.wrap_command(command).encode())
    # The last byte is Le' (00), which 9303-11 §9.8.5 leaves unprotected: the real Le is in DO'97'.
    index = data.draw(st.integers(0, len(raw) - 2))
    raw[index] ^= data.draw(st.integers(1, 255))
    try:
        parsed = CommandApdu.parse(bytes(raw))
    except ValueError:
        return  # the APDU layer's own error (6700 on the card)
    if parsed.cla & 0x0C != 0x0C:
        with pytest.raises(SmMissingError):
            chip.unwrap_command(parsed)
        return
    with pytest.raises(SecureMessagingError):
        chip.unwrap_command(parsed)  # no single-bit-pattern change of a protected command gets through
