"""The pluggable message sender: how a password-reset link reaches a user, by e-mail or SMS.

``settings.PARTYCARD_MESSAGE_SENDER`` is the dotted path of a class whose instances have ``channels``
(the channels it can deliver) and ``send(message)``. partycard ships three:

* :class:`ConsoleSender` (development, the default in ``settings.base``): writes each message, link
  included, to standard output, the way Django's console e-mail backend does. Printing the link is its
  point (a developer opens it); it writes to the stream directly, not through ``logging``, so no
  application log handler (which ships to a log store in production) ever receives a link.
* :class:`EmailSender` (the default in ``settings.prod``): e-mail through Django's ``EMAIL_BACKEND``
  (SMTP to the Party's mail relay); it has no SMS channel.
* :class:`MemorySender`: keeps the messages in :attr:`MemorySender.outbox`, for tests.

An SMS gateway is one more class with ``channels = frozenset({Channel.SMS, ...})`` and a ``send`` that
calls the gateway (docs/officers.md, "Message sender"). A sender raises :class:`SendFailed` when it
cannot deliver; the caller's transaction then rolls back.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Protocol, TextIO

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

__all__ = [
    "Channel",
    "ConsoleSender",
    "EmailSender",
    "MemorySender",
    "Message",
    "MessageSender",
    "SendFailed",
    "message_sender",
]


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True)
class Message:
    """One message to one address: ``to`` is an e-mail address or a phone number, as ``channel`` says."""

    channel: Channel
    to: str
    subject: str
    body: str


class SendFailed(Exception):
    """The sender could not deliver the message (no such channel here, the relay refused it, ...)."""


class MessageSender(Protocol):
    channels: frozenset[Channel]

    def send(self, message: Message) -> None:
        """Deliver ``message`` or raise :class:`SendFailed`."""
        ...


class ConsoleSender:
    """Development: every message, on standard output (never through ``logging``)."""

    channels = frozenset(Channel)

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: Message) -> None:
        stream = self.stream or sys.stdout
        rule = "-" * 72
        stream.write(
            f"{rule}\n[partycard console sender] {message.channel.value} to {message.to}\n"
            f"Subject: {message.subject}\n\n{message.body}\n{rule}\n"
        )
        stream.flush()


class EmailSender:
    """E-mail through Django's mail backend (``EMAIL_*`` settings), from ``DEFAULT_FROM_EMAIL``."""

    channels = frozenset({Channel.EMAIL})

    def send(self, message: Message) -> None:
        if message.channel not in self.channels:
            raise SendFailed(f"EmailSender cannot send by {message.channel.value}")
        try:
            send_mail(message.subject, message.body, None, [message.to], fail_silently=False)
        except OSError as e:  # smtplib's errors are OSErrors
            raise SendFailed("the mail relay refused the message") from e


class MemorySender:
    """Tests: the messages in :attr:`outbox` (one list for every instance, like Django's ``mail.outbox``)."""

    channels = frozenset(Channel)
    outbox: ClassVar[list[Message]] = []
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def send(self, message: Message) -> None:
        with self._lock:
            self.outbox.append(message)


def message_sender() -> MessageSender:
    """The configured sender (read at each call, so tests and deployments change it without a restart)."""
    path = getattr(settings, "PARTYCARD_MESSAGE_SENDER", "partycard.accounts.sender.ConsoleSender")
    sender: MessageSender = import_string(path)()
    return sender
