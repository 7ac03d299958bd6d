"""Coverage-guided fuzzing (atheris, libFuzzer) of what a hostile card or terminal controls.

Targets: ``tlv`` (the BER-TLV parser), ``sod`` (EF.SOD), ``lds`` (EF.COM, DG1, DG2, DG14, DG15), ``apdu``
(the applet's command handler, a sequence of APDUs per input), ``sm`` (secure messaging: a PACE card
after PACE takes protected APDUs, some valid and then spoiled, and the terminal unwraps hostile
responses). Each may raise only its library's own
error; any other exception or a crash is a finding. Run one target, e.g.:

    .venv/bin/python fuzz/fuzz_chip.py apdu -runs=200000

tests/chip/test_fuzz.py runs every target for a short, fixed number of inputs in CI.
"""

from __future__ import annotations

import contextlib
import copy
import sys
from collections.abc import Callable

import atheris

with atheris.instrument_imports():
    from partycard.chip import lds
    from partycard.chip.apdu import CommandApdu
    from partycard.chip.applet import Applet
    from partycard.chip.errors import ChipError
    from partycard.chip.pace import can_key, pace_terminal_run
    from partycard.chip.securityinfos import card_access_build
    from partycard.chip.sm import SecureMessaging
    from partycard.chip.sod import sod_parse
    from partycard.chip.sw import StatusWord
    from partycard.chip.tlv import tlv_parse_many

_FILES = {0x011E: b"\x60\x00", 0x0101: bytes(range(256)) * 3, 0x011D: b"\x77\x03abc"}


def _tlv(data: bytes) -> None:
    with contextlib.suppress(ChipError):
        tlv_parse_many(data)


def _sod(data: bytes) -> None:
    with contextlib.suppress(ChipError):
        sod_parse(data)


def _lds(data: bytes) -> None:
    for parse in (
        lds.com_parse,
        lds.dg1_parse,
        lds.dg2_parse,
        lds.dg13_parse,
        lds.dg14_parse,
        lds.dg15_parse,
    ):
        with contextlib.suppress(ChipError):
            parse(data)


def _apdu(data: bytes) -> None:
    applet = Applet(bytes.fromhex("A0000002471001"), _FILES, lambda m: b"\x30\x06\x02\x01\x01\x02\x01\x01")
    provider = atheris.FuzzedDataProvider(data)
    while provider.remaining_bytes():
        command = provider.ConsumeBytes(provider.ConsumeIntInRange(0, 300))
        response = applet.process(command)
        if len(response) < 2:
            raise AssertionError(f"response without a status word to {command.hex()}")


def _pace_template() -> tuple[Applet, SecureMessaging]:
    """A PACE card right after PACE, and the terminal's session: copied for every input (PACE is slow)."""
    applet = Applet(
        bytes.fromhex("A0000002471001"),
        _FILES,
        lambda m: b"\x30\x06\x02\x01\x01\x02\x01\x01",
        lambda n: bytes([0x5A]) * n,
        can="123456",
        card_access=card_access_build(parameter_id=12),
    )

    def send(command: CommandApdu) -> tuple[bytes, int]:
        response = applet.process(command.encode())
        return response[:-2], int.from_bytes(response[-2:], "big")

    keys = pace_terminal_run(
        send, parameter_id=12, password_key=can_key("123456"), random=lambda n: bytes([0x33]) * n
    )
    return applet, SecureMessaging(keys)


_PACE = _pace_template()
#: What a spoiled protected APDU may get: an SM error, a length error, or — if the spoiled byte made the
#: CLA plain, which ends the session — the plain refusals of a card before PACE.
_SM_ERRORS = {
    StatusWord.SM_OBJECTS_MISSING,
    StatusWord.SM_OBJECTS_INCORRECT,
    StatusWord.WRONG_LENGTH,
    StatusWord.CLA_NOT_SUPPORTED,
    StatusWord.SECURITY_STATUS_NOT_SATISFIED,
}


def _sm(data: bytes) -> None:
    applet, terminal = copy.deepcopy(_PACE)
    provider = atheris.FuzzedDataProvider(data)
    while provider.remaining_bytes():
        choice = provider.ConsumeIntInRange(0, 2)
        if choice == 0:  # a valid protected command, one byte spoiled (never Le', which SM leaves open)
            plain = CommandApdu(
                0, 0xB0, 0, provider.ConsumeIntInRange(0, 255), le=provider.ConsumeIntInRange(1, 256)
            )
            raw = bytearray(terminal.wrap_command(plain).encode())
            index = provider.ConsumeIntInRange(0, len(raw) - 2)
            raw[index] ^= provider.ConsumeIntInRange(1, 255)
            response = applet.process(bytes(raw))
            word = int.from_bytes(response[-2:], "big")
            if applet.secure_messaging or word not in _SM_ERRORS:
                raise AssertionError(f"a spoiled protected APDU got through: {bytes(raw).hex()}")
            return
        if choice == 1:  # raw bytes to the card in session
            response = applet.process(provider.ConsumeBytes(provider.ConsumeIntInRange(0, 300)))
            if len(response) < 2:
                raise AssertionError("response without a status word")
        else:  # a hostile response to the terminal
            with contextlib.suppress(ChipError):
                terminal.unwrap_response(provider.ConsumeBytes(provider.ConsumeIntInRange(0, 300)))
            return


TARGETS: dict[str, Callable[[bytes], None]] = {
    "tlv": _tlv,
    "sod": _sod,
    "lds": _lds,
    "apdu": _apdu,
    "sm": _sm,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        raise SystemExit(f"usage: fuzz_chip.py {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
