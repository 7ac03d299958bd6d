"""The officer tests' world: the shared tree (Centre → Hà Nội, Huế → communes → cells), a committee officer
of each province, a central administrator at the Centre, and the message sender captured."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from partycard.accounts.models import Role, TOTPDevice, User
from partycard.accounts.sender import MemorySender, Message

PASSWORD = "mat-khau-dai-1"
BASE_URL = "http://testserver/"


def officer_make(username: str, role: str, organisation: Any, **extra: Any) -> User:
    """An officer account as the seed would make it, with a confirmed authenticator."""
    user = User.objects.create_user(
        username, password=PASSWORD, role=role, organisation=organisation, **extra
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def lockout_record(username: str, address: str = "10.0.0.1") -> None:
    """A django-axes lock-out of ``username`` from ``address`` (five failures, a minute ago)."""
    import datetime as dt

    from axes.models import AccessAttempt

    from partycard.core import clock

    attempt = AccessAttempt.objects.create(
        username=username, ip_address=address, user_agent="x", http_accept="", path_info="/dang-nhap/",
        get_data="", post_data="", failures_since_start=5,
    )  # fmt: skip
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=clock.now() - dt.timedelta(minutes=1))


@pytest.fixture
def hanoi(tree: Any) -> User:
    """The committee officer of Hà Nội: the actor of most tests."""
    return officer_make(
        "tinh-hn", Role.COMMITTEE_OFFICER, tree.hanoi, first_name="Hà", last_name="Nguyễn Thị"
    )


@pytest.fixture
def hue(tree: Any) -> User:
    return officer_make("tinh-hue", Role.COMMITTEE_OFFICER, tree.hue)


@pytest.fixture
def centre(tree: Any) -> User:
    return officer_make("trung-uong", Role.CENTRAL_ADMIN, tree.centre)


@pytest.fixture
def secretary(tree: Any) -> User:
    """A cell secretary in Hà Nội (Chi bộ Giáo viên 1), in the Hà Nội officer's subtree."""
    return officer_make(
        "bithu-gv1", Role.CELL_SECRETARY, tree.cell_a, first_name="Bình", last_name="Trần Văn",
        email="binh@example.vn", phone="0912345678",
    )  # fmt: skip


@pytest.fixture
def hue_secretary(tree: Any) -> User:
    return officer_make(
        "bithu-hue", Role.CELL_SECRETARY, tree.hue_cell, email="hue@example.vn", phone="0987654321"
    )


@pytest.fixture
def outbox(settings: Any) -> Iterator[list[Message]]:
    """The messages the sender delivers, captured (``MemorySender``)."""
    settings.PARTYCARD_MESSAGE_SENDER = "partycard.accounts.sender.MemorySender"
    MemorySender.outbox.clear()
    yield MemorySender.outbox
    MemorySender.outbox.clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The reset rate limits count in the cache: each test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
