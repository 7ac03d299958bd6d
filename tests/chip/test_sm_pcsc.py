"""Secure messaging over the real PC/SC stack (pcscd + vsmartcard's vpcd, see tests/pcsc.py): a PACE +
CA read, and the tamper matrix — a bad MAC, a wrong counter, a truncated APDU and a replayed one, in
the card's responses (the reader names each by its own code) and in the terminal's commands (the
applet names each, drops the session and answers 6987/6988). Skips like tests/pcsc.py without pcscd.

These tests use vpcd's *second* reader (port 35964), so that they do not wait on other suites' cards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.applet import Applet
from partycard.chip.reader import CardRead, Transport, card_read
from tests.chip.pace_cards import CAN, PaceCard
from tests.pcsc import _pcsc_missing

READER = "Virtual PCD 00 01"
PORT = 35964


@pytest.fixture(scope="module")
def second_reader() -> str:
    try:
        from partycard.chip.pcsc import reader_names
    except ImportError:
        _pcsc_missing("pyscard is not installed (the pcsc extra)")
    names = reader_names()
    if READER not in names:
        _pcsc_missing(f"pcscd does not serve {READER!r} (readers: {names})")
    return READER


@contextmanager
def inserted(factory: Callable[[], Applet]) -> Iterator[Transport]:
    from partycard.chip.pcsc import pcsc_connect, pcsc_wait_for_card
    from partycard.chip.vpcd import VirtualCard

    virtual = VirtualCard(factory, port=PORT)
    started = time.monotonic()
    virtual.insert(timeout=10)
    try:
        pcsc_wait_for_card(READER, timeout=max(0.0, 10 - (time.monotonic() - started)))
        with pcsc_connect(READER) as transport:
            yield transport
    finally:
        virtual.remove()


class HostileApplet(Applet):
    """A chip (or a man in the middle on its side) that spoils its ``at``-th protected response."""

    mode = "none"
    at = 3

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._count = 0
        self._previous = b""

    def _wrap_response(self, data: bytes, sw: int) -> bytes:
        self._count += 1
        if self._count == self.at and self.mode == "counter":
            assert self._sm is not None
            self._sm.wrap_response(b"", 0x9000)  # a response that never went out: the counter runs ahead
        wrapped = super()._wrap_response(data, sw)
        if self._count == self.at:
            if self.mode == "mac":
                wrapped = wrapped[:-3] + bytes([wrapped[-3] ^ 0x80]) + wrapped[-2:]
            elif self.mode == "truncated":
                wrapped = wrapped[:-5] + wrapped[-2:]
            elif self.mode == "replay":
                wrapped = self._previous
        self._previous = wrapped
        return wrapped


def _read(factory: Callable[[], Applet], transport_wrapper=None) -> CardRead:
    with inserted(factory) as transport:
        return card_read(transport if transport_wrapper is None else transport_wrapper(transport), can=CAN)


def test_pace_and_chip_authentication_over_pcsc(second_reader):
    card = PaceCard()
    read = _read(card.applet)
    assert (read.pace, read.chip_auth, read.channel_error) == ("ok", "ok", None)
    assert dict(read.files) == card.files and read.aa_signature is not None


def test_without_the_can_over_pcsc(second_reader):
    card = PaceCard()
    with inserted(card.applet) as transport:
        read = card_read(transport)
    assert (read.pace, dict(read.files), read.card_access) == ("required", {}, card.card_access)


def test_a_clone_fails_chip_authentication_over_pcsc(second_reader):
    card = PaceCard()
    read = _read(lambda: card.applet(ca_key=ec.generate_private_key(ec.SECP256R1())))
    assert (read.pace, read.chip_auth) == ("ok", "failed")


@pytest.mark.parametrize(
    ("mode", "at", "code"),
    [
        ("mac", 3, "sm_mac"),
        ("counter", 3, "sm_counter"),
        ("truncated", 3, "sm_truncated"),
        ("replay", 3, "sm_replay"),
        ("mac", 12, "sm_mac"),  # on the chip authentication session
        ("replay", 12, "sm_replay"),
    ],
)
def test_tampered_responses_each_have_their_code(second_reader, mode, at, code):
    card = PaceCard()
    hostile = type("Hostile", (HostileApplet,), {"mode": mode, "at": at})
    read = _read(lambda: card.applet(applet_class=hostile))
    assert read.pace == "ok"
    assert read.channel_error == code
    assert read.aa_signature is None
    assert read.chip_auth == ("ok" if at == 12 else "none")  # at 3 CA has not run yet


class TamperingTransport:
    """Between the reader and PC/SC: spoils the ``at``-th protected command on its way to the card."""

    def __init__(self, inner: Transport, mode: str, at: int = 3) -> None:
        self._inner, self._mode, self._at = inner, mode, at
        self._count = 0
        self._previous = b""

    def transmit(self, apdu: bytes) -> bytes:
        if apdu[0] & 0x0C == 0x0C:
            self._count += 1
            sent = apdu
            if self._count == self._at:
                if self._mode == "mac":
                    sent = apdu[:-3] + bytes([apdu[-3] ^ 0x01]) + apdu[-2:]  # the MAC's last byte, then Le'
                elif self._mode == "truncated":
                    body = apdu[5:-1][:-3]  # short APDU: Lc, body, Le'
                    sent = apdu[:4] + bytes([len(body)]) + body + apdu[-1:]
                elif self._mode == "replay":
                    sent = self._previous
            self._previous = apdu
            return self._inner.transmit(sent)
        return self._inner.transmit(apdu)


@pytest.mark.parametrize(
    ("mode", "code"), [("mac", "sm_mac"), ("truncated", "sm_truncated"), ("replay", "sm_replay")]
)
def test_tampered_commands_each_have_their_code_on_the_card(second_reader, mode, code):
    card = PaceCard()
    chips: list[Applet] = []

    def factory() -> Applet:
        chips.append(card.applet())
        return chips[-1]

    read = _read(factory, lambda inner: TamperingTransport(inner, mode))
    assert read.pace == "ok" and read.channel_error == "sm_missing"  # the card dropped the session
    assert chips[-1].last_sm_error == code
    assert not chips[-1].secure_messaging


def test_the_session_is_over_after_an_error(second_reader):
    card = PaceCard()
    chips: list[Applet] = []

    def factory() -> Applet:
        chips.append(card.applet())
        return chips[-1]

    with inserted(factory) as transport:
        assert card_read(TamperingTransport(transport, "mac"), can=CAN).channel_error == "sm_missing"
        # The same connection: a fresh read must run PACE again, and does.
        again = card_read(transport, can=CAN)
    assert (again.pace, again.chip_auth, again.channel_error) == ("ok", "ok", None)
