"""The PC/SC reader for the commands that read a chip card at a station (``read-card``, ``meeting
checkin``). pyscard is the optional "pcsc" extra: it is imported only when the reader is about to be
opened, after the command has checked what the operator typed, so that a station without it still says
what is wrong with the input, and then how to install PC/SC."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from django.core.management.base import CommandError

from partycard.chip.reader import Transport

__all__ = ["pcsc_connector"]

INSTALL = (
    "PC/SC support is not installed: apt-get install libpcsclite-dev swig pcscd, "
    "then pip install 'partycard[pcsc]'"
)


def pcsc_connector(returncode: int) -> Callable[[str | None], AbstractContextManager[Transport]]:
    """``chip.pcsc.pcsc_connect``, or a :class:`CommandError` with ``returncode`` saying how to install it."""
    try:
        from partycard.chip.pcsc import pcsc_connect
    except ImportError as e:
        raise CommandError(INSTALL, returncode=returncode) from e
    return pcsc_connect
