"""Getting a password back: the reset link (Django's token generator) sent through the message sender, the
"forgot password" request that never says whether an account exists, its rate limits, and the one-time
temporary password a superior hands over.

The link is ``/dang-nhap/dat-lai-mat-khau/<uid>/<token>/``. Django's ``PasswordResetTokenGenerator``
signs the account's id, password hash, last login and e-mail with ``SECRET_KEY``: a token expires after
``PASSWORD_RESET_TIMEOUT`` and stops working once the password changes (so it is used once). Nothing here
logs a link or a token; the console sender prints the message it is given, on purpose (``sender.py``).

Not revealing whether an account exists (OWASP Forgot Password Cheat Sheet, "Return a consistent message
for both existent and non-existent accounts"): the request page answers the same whatever was typed, and
its rate limits are counted on what the client controls (its address) or silently per account, so that a
refusal says nothing about the account either.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from partycard.accounts.models import User
from partycard.accounts.sender import Channel, Message, SendFailed, message_sender
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.errors import DomainError, ErrorCode

__all__ = [
    "NoAddress",
    "ResetTarget",
    "address_allowed",
    "reset_link",
    "reset_link_send",
    "reset_request",
    "reset_targets",
    "temporary_password_new",
]

log = logging.getLogger(__name__)

# Letters and digits that cannot be mistaken for one another when read aloud or copied from a screen (no
# 0/o, 1/l/i): 31 symbols, 16 of them, about 79 bits.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_PHONE_NOISE = re.compile(r"[\s.()-]")


class NoAddress(DomainError):
    """The account has no address on the chosen channel (no e-mail, or no phone)."""

    def __init__(self, channel: Channel) -> None:
        message = (
            _("This account has no e-mail address: add one first, or send the link by SMS.")
            if channel == Channel.EMAIL
            else _("This account has no phone number: add one first, or send the link by e-mail.")
        )
        super().__init__(message, code=ErrorCode.CONFLICT, field="channel")


def temporary_password_new(user: User | None = None) -> str:
    """A random password to read out or copy once ("abcd-efgh-jkmn-pqrs"), accepted by the project's
    password validators (``AUTH_PASSWORD_VALIDATORS``) for ``user``."""
    while True:
        groups = ("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
        password = "-".join(groups)
        try:
            validate_password(password, user)
        except ValidationError:  # pragma: no cover - a random draw resembling the username: draw again
            continue
        return password


def reset_link(user: User, base_url: str) -> str:
    """The absolute reset link of ``user`` (``base_url``: scheme and host, from the request)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return base_url.rstrip("/") + path


def _address(user: User, channel: Channel) -> str:
    return user.email if channel == Channel.EMAIL else user.phone


def _message(user: User, channel: Channel, link: str, *, by_superior: bool) -> Message:
    """The message in the site's language (Vietnamese), whatever the language of the request."""
    hours = max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)
    with translation.override(settings.LANGUAGE_CODE):
        values = {"name": user.full_name or user.username, "username": user.username, "hours": hours}
        if channel == Channel.SMS:
            body = _("partycard: set a new password for %(username)s within %(hours)s hours: %(link)s") % {
                **values,
                "link": link,
            }
            return Message(channel, user.phone, _("partycard password"), body)
        reason = (
            _("Your superior has reset the password of your account: the old password no longer works.")
            if by_superior
            else _("Someone, probably you, asked to reset the password of this account.")
        )
        body = "\n\n".join(
            [
                _("Dear comrade %(name)s,") % values,
                reason,
                _(
                    "To choose a new password for the account %(username)s, open this link within "
                    "%(hours)s hours. It works once:"
                )
                % values,
                link,
                _("After the new password, your authenticator app is still asked for at login.")
                + (
                    ""
                    if by_superior
                    else "\n" + _("If you did not ask for this, ignore this message: nothing has changed.")
                ),
            ]
        )
        return Message(channel, user.email, _("partycard: set a new password"), body)


def reset_link_send(*, user: User, channel: Channel, base_url: str, by_superior: bool) -> None:
    """Send ``user`` their reset link by ``channel`` through the configured sender.

    Runs inside the caller's transaction on purpose (not ``on_commit``): a send that fails raises, and the
    caller's change (a superior's reset) rolls back with it. A message sent from a transaction that then
    rolls back carries a token made over a password hash that was never committed: it does not verify.

    Raises:
        NoAddress: the account has no e-mail (or phone) to send to.
        SendFailed: the sender could not deliver, or has no such channel.
    """
    address = _address(user, channel)
    if not address:
        raise NoAddress(channel)
    sender = message_sender()
    if channel not in sender.channels:
        raise SendFailed(f"the configured sender has no {channel.value} channel")
    sender.send(_message(user, channel, reset_link(user, base_url), by_superior=by_superior))


@dataclass(frozen=True)
class ResetTarget:
    user: User
    channel: Channel


def _phone_normalise(text: str) -> str | None:
    """``0912 345 678``, ``+84 912 345 678`` → ``0912345678``; None if it is no phone number."""
    digits = _PHONE_NOISE.sub("", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if re.fullmatch(r"0[0-9]{9}", digits) else None


def reset_targets(identifier: str) -> list[ResetTarget]:
    """The active accounts ``identifier`` names and how to reach each: an e-mail address by e-mail, a phone
    number by SMS, a username by its e-mail if it has one, else by SMS. Accounts without that address are
    left out. Disabled accounts are left out (their officer must ask to be enabled)."""
    text = identifier.strip()
    if not text:
        return []
    active = User.objects.filter(is_active=True)
    if "@" in text:
        return [ResetTarget(u, Channel.EMAIL) for u in active.filter(email__iexact=text)[:10]]
    phone = _phone_normalise(text)
    if phone is not None:
        return [ResetTarget(u, Channel.SMS) for u in active.filter(phone=phone)[:10]]
    user = active.filter(username=text).first()
    if user is None:
        return []
    if user.email:
        return [ResetTarget(user, Channel.EMAIL)]
    return [ResetTarget(user, Channel.SMS)] if user.phone else []


def _count(key: str, window: int) -> int:
    """One more in the fixed window ``key`` (atomic ``add`` + ``incr``, as ``api.throttling``)."""
    cache.add(key, 0, timeout=window + 1)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        return 1


_WINDOW = 3600  # the limits are per hour


def _window_key(kind: str, who: str) -> str:
    return f"partycard:password-reset:{kind}:{who}:{int(clock.now().timestamp()) // _WINDOW}"


def address_allowed(client: str | None) -> bool:
    """Whether one more reset request from this client address fits ``PASSWORD_RESET_PER_ADDRESS`` an
    hour. Counted whatever was typed, so a refusal says nothing about any account."""
    limit = int(settings.PARTYCARD.get("PASSWORD_RESET_PER_ADDRESS", 10))
    return _count(_window_key("address", client or "unknown"), _WINDOW) <= limit


def _account_allowed(user: User) -> bool:
    limit = int(settings.PARTYCARD.get("PASSWORD_RESET_PER_ACCOUNT", 3))
    return _count(_window_key("account", str(user.pk)), _WINDOW) <= limit


def reset_request(*, actor: Any, identifier: str, base_url: str) -> int:
    """The "forgot password" request: send a link to each account ``identifier`` names, at most
    ``PASSWORD_RESET_PER_ACCOUNT`` an hour each (more are dropped silently: the page says the same), and
    append a ``password_reset_request`` audit row per link sent (the channel, never the link).

    A failed send is logged (the account's id and the channel, no address, no link) and not shown: the
    page must not differ. Returns how many links were sent (for tests; the view ignores it).
    """
    sent = 0
    for target in reset_targets(identifier):
        if not _account_allowed(target.user):
            continue
        try:
            with transaction.atomic():
                reset_link_send(
                    user=target.user, channel=target.channel, base_url=base_url, by_superior=False
                )
                audit_record(
                    actor=actor,
                    action="password_reset_request",
                    obj=target.user,
                    changes={"channel": [None, target.channel.value]},
                )
        except (SendFailed, NoAddress) as e:  # the class only: a sender's message might hold the address
            log.warning(
                "reset link for user %s by %s not sent (%s)", target.user.pk, target.channel, type(e).__name__
            )
            continue
        sent += 1
    return sent
