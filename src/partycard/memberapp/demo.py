"""The member's app in the demo: the member login ``dangvien`` gets a phone number, so that its login
asks for the SMS code (printed by the console sender in development)."""

from __future__ import annotations

from partycard.accounts.models import User
from partycard.accounts.services import user_save

__all__ = ["DEMO_MEMBER_PHONE", "load_memberapp_demo"]

DEMO_MEMBER_PHONE = "0912345678"


def load_memberapp_demo(username: str = "dangvien") -> str | None:
    """Give the demo member login a phone (idempotent); the line to print, or None without the login."""
    user = User.objects.filter(username=username).first()
    if user is None:
        return None
    if not user.phone:
        user.phone = DEMO_MEMBER_PHONE
        user_save(actor=None, user=user, action="demo_phone")
    return (
        f"Member's app at /so-tay/ (login {username}): after the password it sends a six-digit code by SMS"
        f" to {user.phone}; in development the console sender prints that SMS on the server's standard"
        " output (the terminal of `make run`). The app then stays logged in on that browser."
    )
