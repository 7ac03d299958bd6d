"""Demo data for ``make run``: a small national-shaped registry and one login per role level."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.db import transaction

from partycard.accounts.models import Role, TOTPDevice, User
from partycard.accounts.two_factor import totp_current_code, totp_device_install
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation, SeedRun
from partycard.registry.seeding.loader import seed_registry

__all__ = [
    "DEMO_MEMBERS",
    "DEMO_OTP_DEVICE",
    "DEMO_OTP_SECRET",
    "DEMO_PASSWORD",
    "DemoLogin",
    "demo_otp_code",
    "load_demo",
]

DEMO_MEMBERS = 20_000
DEMO_SEED = 2025
DEMO_PASSWORD = "doithe-2025"  # noqa: S105 - printed by make run; demo databases only
# The demo officers' TOTP secret (base32, as authenticator apps take it), printed by make run; public,
# so ``partycard demo_otp`` prints codes only for a device named DEMO_OTP_DEVICE holding this secret.
DEMO_OTP_SECRET = "PARTYCARDDEMOTOTPSECRETKEY234567"  # noqa: S105 - demo databases only
DEMO_OTP_DEVICE = "demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    organisation: str


def load_demo(*, members: int = DEMO_MEMBERS) -> list[DemoLogin]:
    """Seed the registry if it is empty, then create (or reset) the demo users. Safe to run again."""
    run = SeedRun.objects.order_by("-id").first()
    if run is None or run.phase != "done":
        if run is None and Organisation.objects.exists():
            pass  # a registry made otherwise (e.g. imported): keep it, only add users
        else:
            seed_registry(members=members, seed=DEMO_SEED, progress=False)
    centre = Organisation.objects.get(level=OrgLevel.CENTRE)
    province = Organisation.objects.filter(level=OrgLevel.CENTRAL_COMMITTEE).order_by("id").first()
    assert province is not None
    grassroots = (
        Organisation.objects.filter(path__startswith=province.path, level=OrgLevel.GRASSROOTS_COMMITTEE)
        .order_by("path")
        .first()
    ) or province
    cell = (
        Organisation.objects.filter(path__startswith=grassroots.path, level=OrgLevel.CELL)
        .order_by("path")
        .first()
    ) or grassroots
    commune = grassroots.parent if grassroots.level == OrgLevel.GRASSROOTS_COMMITTEE else None
    wanted = [
        ("admin", Role.CENTRAL_ADMIN, centre, True),
        ("tinh", Role.COMMITTEE_OFFICER, province, False),
        # The committee directly above the grassroots: it decides cards in the exchange.
        *([("phuong", Role.COMMITTEE_OFFICER, commune, False)] if commune else []),
        ("coso", Role.GRASSROOTS_OFFICER, grassroots, False),
        ("chibo", Role.CELL_SECRETARY, cell, False),
    ]
    logins = []
    with transaction.atomic():
        for username, role, org, superuser in wanted:
            user, _ = User.objects.get_or_create(username=username)
            user.role, user.organisation = role, org
            user.is_staff = user.is_superuser = superuser
            user.set_password(DEMO_PASSWORD)
            user.save()
            totp_device_install(actor=None, user=user, name=DEMO_OTP_DEVICE, secret_b32=DEMO_OTP_SECRET)
            logins.append(DemoLogin(username, str(role.label), org.name))
    return logins


def demo_otp_code(*, username: str) -> str:
    """The current code of ``username``'s demo device, for ``partycard demo_otp``.

    Only a device named ``DEMO_OTP_DEVICE`` that holds the public demo secret qualifies, so this prints
    nothing a production database could use.

    Raises:
        LookupError: the user has no such device.
    """
    key = base64.b32decode(DEMO_OTP_SECRET).hex()
    # The secret is encrypted (a fresh IV each time): compared here, not in SQL.
    devices = TOTPDevice.objects.filter(user__username=username, name=DEMO_OTP_DEVICE, confirmed=True)
    device = next((d for d in devices if d.key == key), None)
    if device is None:
        raise LookupError(username)
    return totp_current_code(device)
