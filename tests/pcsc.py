"""The real PC/SC stack for tests: pcscd with vsmartcard's vpcd driver, and cards inserted into it.

pcscd must run with vpcd's readers (``apt-get install pcscd vsmartcard-vpcd`` and start ``pcscd``;
``pyscard`` comes with the ``pcsc`` extra). Without them these tests skip, unless
``PARTYCARD_REQUIRE_PCSC=1`` (CI), where they fail. vpcd holds one card per reader, so the tests insert
one card at a time into the first reader.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from partycard.chip.reader import Transport
from partycard.chip.vpcd import CardApplet

__all__ = ["VPCD_READER", "no_pyscard", "pcsc_inserted", "pcsc_reader", "vpcd_inserted"]

VPCD_READER = "Virtual PCD 00 00"  # vpcd's first reader, port 35963
_WAIT_SECONDS = 10


def _pcsc_missing(reason: str) -> None:
    if os.environ.get("PARTYCARD_REQUIRE_PCSC") == "1":
        pytest.fail(f"PARTYCARD_REQUIRE_PCSC=1 but {reason}")
    pytest.skip(f"{reason} (apt-get install pcscd vsmartcard-vpcd; start pcscd)")


@pytest.fixture(scope="session")
def pcsc_reader() -> str:
    """The name of vpcd's first reader, once pcscd serves it."""
    try:
        from partycard.chip.pcsc import reader_names
    except ImportError:
        _pcsc_missing("pyscard is not installed (the pcsc extra)")
    names = reader_names()
    if VPCD_READER not in names:
        _pcsc_missing(f"pcscd does not serve {VPCD_READER!r} (readers: {names})")
    return VPCD_READER


@contextmanager
def vpcd_inserted(applet_factory: Callable[[], CardApplet], reader: str = VPCD_READER) -> Iterator[None]:
    """Insert a virtual card running ``applet_factory()`` and return once pcscd can connect to it."""
    from partycard.chip.pcsc import pcsc_wait_for_card
    from partycard.chip.vpcd import VirtualCard

    virtual = VirtualCard(applet_factory)
    started = time.monotonic()  # one deadline for both waits
    virtual.insert(timeout=_WAIT_SECONDS)
    try:
        pcsc_wait_for_card(reader, timeout=max(0.0, _WAIT_SECONDS - (time.monotonic() - started)))
        yield
    finally:
        virtual.remove()


@contextmanager
def pcsc_inserted(applet_factory: Callable[[], CardApplet], reader: str = VPCD_READER) -> Iterator[Transport]:
    """Insert a virtual card and yield a PC/SC transport to it."""
    from partycard.chip.pcsc import pcsc_connect

    with vpcd_inserted(applet_factory, reader), pcsc_connect(reader) as transport:
        yield transport


@pytest.fixture
def no_pyscard(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import smartcard`` fails, as where the pcsc extra was not installed."""
    for name in [n for n in sys.modules if n.startswith("smartcard.")]:  # loaded by an earlier test
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "smartcard", None)
    monkeypatch.delitem(sys.modules, "partycard.chip.pcsc", raising=False)
