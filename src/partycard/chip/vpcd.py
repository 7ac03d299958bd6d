"""A virtual card in a virtual reader: the applet on vsmartcard's vpcd, so PC/SC software sees a real card.

vpcd is a pcsc-lite reader driver (Debian ``vsmartcard-vpcd``) that listens on TCP (35963 for its first
reader, 35964 for the second) for a card to connect. The protocol is small: each message either way is
a 2-byte big-endian length and that many bytes. From the reader, a 1-byte message is a control code
(0 power off, 1 power on, 2 reset, 4 "send your ATR"), anything longer is a command APDU; the card
answers the ATR request and every APDU, and nothing else. Connecting inserts the card; closing the
socket removes it.

We speak this protocol ourselves rather than run Debian's vicc, which needs patching to load an
applet of ours; it is forty lines. Power on and reset give the card a fresh applet (a chip loses its
volatile state: selection, last challenge). TCP_QUICKACK is set after every read: otherwise the
kernel's delayed ACK holds each response ~40 ms, which would dominate a 20-APDU read.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["ATR", "DEFAULT_PORT", "CardApplet", "VirtualCard"]

DEFAULT_PORT = 35963  # vpcd's first reader (reader.conf.d/vpcd: CHANNELID 0x8C7B)

#: A T=1 ATR with no historical bytes: TS 3B, T0 80 (TD1), TD1 80 (TD2, T=0), TD2 01 (T=1), TCK 01.
ATR = bytes.fromhex("3B80800101")

_CTRL_OFF, _CTRL_ON, _CTRL_RESET, _CTRL_ATR = 0, 1, 2, 4


class CardApplet(Protocol):
    """What the virtual card runs: bytes of one command APDU in, response data + SW1 SW2 out."""

    def process(self, apdu: bytes) -> bytes: ...


def _quickack(sock: socket.socket) -> None:
    if hasattr(socket, "TCP_QUICKACK"):  # Linux only; elsewhere only latency suffers
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)


def _receive(sock: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        part = sock.recv(size - len(data))
        if not part:
            return None
        data += part
    _quickack(sock)
    return bytes(data)


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(len(payload).to_bytes(2, "big") + payload)


class VirtualCard:
    """One card inserted into vpcd's reader at ``host:port`` until :meth:`remove` or the reader goes.

    Args:
        applet_factory: makes the applet afresh at every power on or reset.
        atr: the answer to reset the reader reports (:data:`ATR`).
    """

    def __init__(
        self,
        applet_factory: Callable[[], CardApplet],
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        atr: bytes = ATR,
    ) -> None:
        self._factory = applet_factory
        self._address = (host, port)
        self._atr = atr
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.apdus = 0  # commands answered, for tests and benchmarks

    def insert(self, timeout: float = 5.0) -> None:
        """Connect to vpcd (the card is then present) and answer it in a background thread.

        vpcd takes the next card only once it has noticed the last one leave, so a refused connection
        is tried again until ``timeout`` seconds have passed.

        Raises:
            OSError: vpcd still refuses (pcscd not started, or another card is in that reader).
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection(self._address, timeout=timeout)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _quickack(sock)
        self._socket = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), name="vpcd-card", daemon=True)
        self._thread.start()

    def remove(self) -> None:
        """Pull the card out: close the socket and wait for the thread."""
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
            self._socket.close()
            self._socket = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> VirtualCard:
        self.insert()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def serve_forever(self) -> None:
        """Insert the card and answer in the calling thread until the reader closes the connection."""
        sock = socket.create_connection(self._address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket = sock
        self._serve(sock)

    def _serve(self, sock: socket.socket) -> None:
        applet = self._factory()
        try:
            while True:
                header = _receive(sock, 2)
                if header is None:
                    return
                message = _receive(sock, int.from_bytes(header, "big"))
                if message is None:
                    return
                if len(message) == 1:
                    code = message[0]
                    if code == _CTRL_ATR:
                        _send(sock, self._atr)
                    elif code in (_CTRL_ON, _CTRL_RESET):
                        applet = self._factory()
                    # _CTRL_OFF and unknown codes need no answer
                    continue
                response = applet.process(message)
                self.apdus += 1
                _send(sock, response)
        except OSError:
            return  # the socket was closed under us: the card was removed
