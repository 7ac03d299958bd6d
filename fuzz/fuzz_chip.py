"""Coverage-guided fuzzing (atheris, libFuzzer) of what a hostile card or terminal controls.

Targets: ``tlv`` (the BER-TLV parser), ``sod`` (EF.SOD), ``lds`` (EF.COM, DG1, DG2, DG14, DG15), ``apdu``
(the applet's command handler, a sequence of APDUs per input). Each may raise only its library's own
error; any other exception or a crash is a finding. Run one target, e.g.:

    .venv/bin/python fuzz/fuzz_chip.py apdu -runs=200000

tests/chip/test_fuzz.py runs every target for a short, fixed number of inputs in CI.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

import atheris

with atheris.instrument_imports():
    from partycard.chip import lds
    from partycard.chip.applet import Applet
    from partycard.chip.errors import ChipError
    from partycard.chip.sod import sod_parse
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


TARGETS: dict[str, Callable[[bytes], None]] = {"tlv": _tlv, "sod": _sod, "lds": _lds, "apdu": _apdu}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        raise SystemExit(f"usage: fuzz_chip.py {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
