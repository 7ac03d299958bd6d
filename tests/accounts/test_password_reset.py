"""Password change and "forgot password", from issue 15: "Password change for every logged-in user (Django's
PasswordChangeView with the project's validators)", "password reset: a 'forgot password' on the login
page, by e-mail or SMS through a pluggable sender (``settings.PARTYCARD_MESSAGE_SENDER``) ... with Django's
token generator, rate-limited, not revealing whether the account exists. After a reset, 2FA still
applies." The console sender prints the link; the application log must not carry it."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from partycard.accounts.models import Role, TOTPDevice, User
from partycard.accounts.sender import Channel, ConsoleSender, MemorySender, Message
from partycard.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-dai-1"
NEW = "mot-mat-khau-moi-2026"
FORGOT, SENT = "/dang-nhap/quen-mat-khau/", "/dang-nhap/quen-mat-khau/da-gui/"
LINK = re.compile(r"http://testserver(/dang-nhap/dat-lai-mat-khau/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def outbox(settings: Any) -> Iterator[list[Message]]:
    settings.PARTYCARD_MESSAGE_SENDER = "partycard.accounts.sender.MemorySender"
    MemorySender.outbox.clear()
    yield MemorySender.outbox
    MemorySender.outbox.clear()


@pytest.fixture
def officer(tree: Any) -> User:
    user = User.objects.create_user(
        "tinh", password=PASSWORD, organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER,
        email="tinh@example.vn", phone="0912345678",
    )  # fmt: skip
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def path_of(message: Message) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def main_of(response: Any) -> str:
    text = response.content.decode()
    return text[text.index("<main") : text.index("</main>")]


def test_the_login_page_offers_forgot_password(client: Client, db: None) -> None:
    assert FORGOT in client.get("/dang-nhap/").content.decode()


def test_a_reset_by_e_mail_sets_a_new_password_once_and_two_factor_still_applies(
    client: Client, officer: User, outbox: list[Message]
) -> None:
    response = client.post(FORGOT, {"identifier": "tinh"})
    assert (response.status_code, response["Location"]) == (302, SENT)
    (message,) = outbox
    assert (message.channel, message.to) == (Channel.EMAIL, "tinh@example.vn")
    link = path_of(message)
    token = link.rstrip("/").rsplit("/", 1)[1]
    landing = client.get(link)  # the token moves into the session and out of the address
    assert landing.status_code == 302 and token not in landing["Location"]
    form_page = client.get(landing["Location"])
    assert form_page.status_code == 200 and form_page.context["validlink"]
    weak = client.post(landing["Location"], {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200 and weak.context["form"].errors  # the project's validators
    done = client.post(landing["Location"], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(NEW) and not officer.check_password(PASSWORD)
    assert not client.get(link).context["validlink"]  # used once
    assert "_auth_user_id" not in client.session  # no login by the link itself
    # After the reset the second factor is still asked for.
    login = client.post("/dang-nhap/", {"username": "tinh", "password": NEW})
    assert login.status_code == 302
    assert client.get("/dang-vien/")["Location"].startswith("/dang-nhap/xac-thuc/")
    request, changed = AuditEvent.objects.filter(
        action__in=["password_reset_request", "password_set"]
    ).order_by("seq")
    assert (request.actor, request.changes) == ("anonymous", {"channel": [None, "email"]})
    assert (changed.actor, changed.changes["door"]) == ("tinh", [None, "reset_link"])
    text = str(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert token not in text and NEW not in text and officer.password not in text


def test_a_reset_by_sms_from_the_phone_number(client: Client, officer: User, outbox: list[Message]) -> None:
    assert client.post(FORGOT, {"identifier": "+84 912 345 678"})["Location"] == SENT
    (message,) = outbox
    assert (message.channel, message.to) == (Channel.SMS, "0912345678")
    assert client.get(path_of(message)).status_code == 302


def test_the_console_sender_prints_the_link_and_no_log_carries_it(
    client: Client, officer: User, settings: Any, capsys: Any, caplog: Any
) -> None:
    settings.PARTYCARD_MESSAGE_SENDER = "partycard.accounts.sender.ConsoleSender"
    caplog.set_level(logging.DEBUG)
    client.post(FORGOT, {"identifier": "tinh@example.vn"})
    printed = capsys.readouterr().out
    found = LINK.search(printed)
    assert found and "tinh@example.vn" in printed
    link = found.group(1)
    landing = client.get(link)
    client.post(landing["Location"], {"new_password1": NEW, "new_password2": NEW})
    client.get(link)  # a used link: the "not valid" page
    token = link.rstrip("/").rsplit("/", 1)[1]
    logged = "\n".join(r.getMessage() for r in caplog.records) + capsys.readouterr().err
    assert token not in logged and link not in logged


def test_the_console_sender_writes_to_its_stream() -> None:
    stream = io.StringIO()
    ConsoleSender(stream).send(Message(Channel.SMS, "0912345678", "partycard", "http://x/link/"))
    assert "sms to 0912345678" in stream.getvalue() and "http://x/link/" in stream.getvalue()


@pytest.mark.parametrize(
    "identifiers",
    [
        ("tinh", "khong-co-ai"),
        ("tinh@example.vn", "ai@example.vn"),
        ("0912345678", "0999999999"),
        ("tat", "tinh"),
    ],
)
def test_the_answer_does_not_say_whether_the_account_exists(
    officer: User, outbox: list[Message], identifiers: tuple[str, str]
) -> None:
    """The same redirect and the same page for an account, a missing one and a disabled one ("tat")."""
    User.objects.create_user("tat", password=PASSWORD, email="tat@example.vn", is_active=False)
    answers = []
    for identifier in identifiers:
        client = Client()
        response = client.post(FORGOT, {"identifier": identifier})
        answers.append(
            (response.status_code, response["Location"], main_of(client.get(response["Location"])))
        )
    assert answers[0] == answers[1]


def test_requests_from_one_address_are_limited_whatever_was_typed(
    client: Client, officer: User, outbox: list[Message], settings: Any
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "PASSWORD_RESET_PER_ADDRESS": 3}
    for n in range(3):
        assert client.post(FORGOT, {"identifier": f"khong-co-{n}"}).status_code == 302
    refused = client.post(FORGOT, {"identifier": "tinh"})
    assert refused.status_code == 429 and outbox == []
    assert Client(REMOTE_ADDR="10.9.9.9").post(FORGOT, {"identifier": "tinh"}).status_code == 302
    assert len(outbox) == 1


def test_links_to_one_account_are_limited_silently(
    officer: User, outbox: list[Message], settings: Any
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "PASSWORD_RESET_PER_ACCOUNT": 2}
    answers = {
        Client(REMOTE_ADDR=f"10.0.0.{n}").post(FORGOT, {"identifier": "tinh"})["Location"] for n in range(4)
    }
    assert answers == {SENT} and len(outbox) == 2


def test_the_link_of_a_disabled_account_does_not_work(
    client: Client, officer: User, outbox: list[Message]
) -> None:
    client.post(FORGOT, {"identifier": "tinh"})
    User.objects.filter(pk=officer.pk).update(is_active=False)
    response = client.get(path_of(outbox[0]))
    assert response.status_code == 200 and not response.context["validlink"]


def test_a_forged_host_gets_no_link(client: Client, officer: User, outbox: list[Message]) -> None:
    response = client.post(FORGOT, {"identifier": "tinh"}, HTTP_HOST="evil.example")
    assert response.status_code == 400 and outbox == []


def test_every_user_changes_their_password(client: Client, tree: Any, make_member: Any, login: Any) -> None:
    member = make_member()
    user = User.objects.create_user("dangvien", password=PASSWORD, role=Role.MEMBER, member=member)
    login(client, user)
    wrong = client.post(
        "/dang-nhap/doi-mat-khau/", {"old_password": "sai", "new_password1": NEW, "new_password2": NEW}
    )
    assert wrong.status_code == 200 and "old_password" in wrong.context["form"].errors
    short = client.post(
        "/dang-nhap/doi-mat-khau/",
        {"old_password": PASSWORD, "new_password1": "ngan", "new_password2": "ngan"},
    )
    assert short.status_code == 200 and "new_password2" in short.context["form"].errors
    done = client.post(
        "/dang-nhap/doi-mat-khau/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert done["Location"] == "/dang-nhap/doi-mat-khau/xong/"
    assert client.get("/dang-nhap/doi-mat-khau/xong/").status_code == 200  # this session stays
    user.refresh_from_db()
    assert user.check_password(NEW)
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.actor, event.changes["door"]) == ("password_set", "dangvien", [None, "self"])


def test_the_deploy_check_refuses_the_console_sender(settings: Any) -> None:
    from django.core.management.base import SystemCheckError

    settings.PARTYCARD_MESSAGE_SENDER = "partycard.accounts.sender.ConsoleSender"
    with pytest.raises(SystemCheckError, match=r"partycard\.accounts\.E001"):
        call_command("check", "--deploy", "--tag", "security", stdout=io.StringIO(), stderr=io.StringIO())
