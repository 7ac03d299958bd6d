"""``partycard apitoken issue USERNAME --name N`` | ``revoke PREFIX`` | ``list USERNAME``, for operators.

The CLI acts as the operator (``actor=None``, "system" in the audit log). ``issue`` prints the plaintext
once, on stdout, and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.api import selectors, services, tokens
from partycard.api.models import ApiToken
from partycard.core import clock
from partycard.core.errors import DomainError


class Command(BaseCommand):
    help = "Issue, revoke or list API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue", help="issue a token for a user and print it once")
        issue.add_argument("username")
        issue.add_argument("--name", required=True, help="what the token is for")
        issue.add_argument("--expires-days", type=int, default=None, help="lifetime in days (default: none)")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix (as listed) or the token itself")
        revoke.add_argument("prefix")
        listing = sub.add_parser("list", help="list a user's tokens")
        listing.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _user(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user is called '{username}'")
        return user

    def _issue(self, options: dict[str, Any]) -> None:
        user, now = self._user(options["username"]), clock.now()
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days must be at least 1")
        expires_at = now + dt.timedelta(days=days) if days else None
        try:
            token, plaintext = services.token_issue(
                actor=None, user=user, name=options["name"], expires_at=expires_at, at=now
            )
        except DomainError as e:
            raise CommandError(e.message) from e
        self.stderr.write(f"Token {token.prefix}… for {user.get_username()}; it is shown once:")
        self.stdout.write(plaintext)

    def _revoke(self, options: dict[str, Any]) -> None:
        given: str = options["prefix"].strip().rstrip("…")
        found = list(ApiToken.objects.filter(prefix=given)[:2])
        if not found and len(given) > tokens.PREFIX_LENGTH:
            by_key = selectors.token_by_key(given)
            found = [by_key] if by_key else []
        if not found:
            raise CommandError(f"no token has the prefix '{given}'")
        if len(found) > 1:
            raise CommandError(f"more than one token has the prefix '{given}'; revoke it from the token page")
        token = services.token_revoke(actor=None, token=found[0])
        self.stdout.write(self.style.SUCCESS(f"Revoked {token.prefix}… ({token.name})."))

    def _list(self, options: dict[str, Any]) -> None:
        now = clock.now()
        for t in selectors.token_list(owner=self._user(options["username"])):
            state = "revoked" if t.revoked_at else ("active" if t.usable_at(now) else "expired")
            expires = t.expires_at.isoformat() if t.expires_at else "never"
            used = t.last_used_at.isoformat() if t.last_used_at else "never"
            self.stdout.write(f"{t.prefix}…\t{state}\t{t.name}\texpires {expires}\tlast used {used}")
