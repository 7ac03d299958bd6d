"""Shared fixtures: a small organisation tree built through the services, and members on it."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from partycard.registry import services
from partycard.registry.choices import Gender, MemberStatus, OrgLevel
from partycard.registry.models import Member, Organisation
from partycard.registry.seeding.loader import ensure_ethnicities


def pytest_configure(config: pytest.Config) -> None:
    """The personal-data check of the run's logs (tests/logcheck.py), and the session's marker in the
    environment before any test starts a process (tests/process_leaks.py; xdist workers inherit it)."""
    import secrets

    from tests import logcheck
    from tests.process_leaks import MARKER

    logcheck.pytest_configure(config)
    if not hasattr(config, "workerinput"):
        os.environ[MARKER] = f"{os.getpid()}-{secrets.token_hex(8)}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-only tests say why they are skipped on SQLite; in CI's PostgreSQL run nothing is skipped."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("postgresql"):
        return
    if os.environ.get("PARTYCARD_REQUIRE_POSTGRES") == "1":
        raise pytest.UsageError("PARTYCARD_REQUIRE_POSTGRES=1 but DATABASE_URL is not a PostgreSQL URL")
    skip = pytest.mark.skip(reason="PostgreSQL only (COPY, pg_trgm, row locks); CI runs it with DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_guard() -> Iterator[None]:
    """Let the test runner's flush (TRUNCATE of every table after a transactional test) pass the audit
    log's TRUNCATE trigger (audit migration 0003), as a database administrator would, on purpose, with
    ``session_replication_role = replica``. Nothing else in the tests or the application gets past it."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        with transaction.atomic(using=self.connection.alias):
            with self.connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
            original(self, sql_list)

    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    try:
        yield
    finally:
        DatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


class TreeFixture:
    """Centre → two provinces → a commune each → a grassroots committee (+ one grassroots cell) → cells."""

    def __init__(self) -> None:
        ensure_ethnicities()  # a transactional test before this one may have truncated the reference table
        org = services.organisation_create
        self.centre = org(actor=None, code="TW", name="Trung ương", level=OrgLevel.CENTRE, parent=None)
        self.hanoi = org(
            actor=None,
            code="HN",
            name="Đảng bộ thành phố Hà Nội",
            level=OrgLevel.CENTRAL_COMMITTEE,
            parent=self.centre,
        )
        self.hue = org(
            actor=None,
            code="HUE",
            name="Đảng bộ thành phố Huế",
            level=OrgLevel.CENTRAL_COMMITTEE,
            parent=self.centre,
        )
        self.ba_dinh = org(
            actor=None, code="HN-BD", name="Đảng bộ phường Ba Đình", level=OrgLevel.COMMUNE, parent=self.hanoi
        )
        self.thuan_hoa = org(
            actor=None,
            code="HUE-TH",
            name="Đảng bộ phường Thuận Hóa",
            level=OrgLevel.COMMUNE,
            parent=self.hue,
        )
        self.school = org(
            actor=None,
            code="HN-BD-01",
            name="Đảng bộ Trường THPT Phan Đình Phùng",
            level=OrgLevel.GRASSROOTS_COMMITTEE,
            parent=self.ba_dinh,
        )
        self.cell_a = org(
            actor=None, code="HN-BD-01-01", name="Chi bộ Giáo viên 1", level=OrgLevel.CELL, parent=self.school
        )
        self.cell_b = org(
            actor=None, code="HN-BD-01-02", name="Chi bộ Giáo viên 2", level=OrgLevel.CELL, parent=self.school
        )
        self.hue_cell = org(
            actor=None,
            code="HUE-TH-01",
            name="Chi bộ cơ sở Bệnh viện",
            level=OrgLevel.GRASSROOTS_CELL,
            parent=self.thuan_hoa,
        )


@pytest.fixture
def tree(db: Any) -> TreeFixture:
    return TreeFixture()


def recent_months(count: int, *, back: int = 0) -> list[str]:
    """``count`` recorded months ("YYYY-MM", as the member record stores them) ending ``back`` months
    before this month: within the rolling year the Charter's Art. 8(2) counts while ``count + back <= 12``."""
    from partycard.core import clock

    today = clock.today()
    index = today.year * 12 + today.month - 1 - back
    return [f"{(index - k) // 12:04d}-{(index - k) % 12 + 1:02d}" for k in range(count - 1, -1, -1)]


def member_data(org: Organisation, **overrides: Any) -> dict[str, Any]:
    """A valid official member born 12/03/1980 (citizen ID matches birth year and gender)."""
    data: dict[str, Any] = {
        "organisation": org,
        "full_name": "Nguyễn Văn An",
        "gender": Gender.MALE,
        "date_of_birth": dt.date(1980, 3, 12),
        "citizen_id": "001080012345",
        "date_admitted": dt.date(2005, 5, 19),
        "date_official": dt.date(2006, 5, 19),
        "status": MemberStatus.OFFICIAL,
        "home_town": "Hà Nội",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_member(tree: TreeFixture) -> Any:
    def make(org: Organisation | None = None, **overrides: Any) -> Member:
        return services.member_create(actor=None, data=member_data(org or tree.cell_a, **overrides))

    return make


@pytest.fixture
def login(db: Any) -> Callable[[Client, Any], None]:
    """``login(client, user)``: a signed-in session, OTP-verified for officers (as after the TOTP step) and
    for members (as after the SMS code)."""
    import django_otp

    from partycard.accounts.models import SmsDevice, TOTPDevice
    from partycard.accounts.sms_code import needs_sms_code
    from partycard.accounts.two_factor import needs_two_factor

    def do(client: Client, user: Any) -> None:
        client.force_login(user)
        device: Any = None
        if needs_two_factor(user):
            device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
        elif needs_sms_code(user):  # a member, as after the SMS code
            device, _ = SmsDevice.objects.get_or_create(user=user, name="sms", defaults={"confirmed": True})
        if device is not None:
            session = client.session
            session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    return do


# Where each role's user sits in the sibling-province fixtures. A central administrator is placed at a
# province too: the scope follows the organisation.
ROLE_PLACE = {
    "central_admin": "province",
    "committee_officer": "province",
    "inspector": "province",
    "grassroots_officer": "grassroots",
    "cell_secretary": "cell",
    "member": "cell",
    "youth_volunteer": "grassroots",  # the account of the committee that assigns them; scope: their cells
}


@pytest.fixture
def siblings(tree: TreeFixture) -> dict[str, dict[str, Any]]:
    """Hà Nội and Huế, each with its province, grassroots organisation, cell and one member: the two sides
    of the leak matrices."""
    return siblings_build(tree)


def siblings_build(tree: TreeFixture) -> dict[str, dict[str, Any]]:
    """The ``siblings`` fixture's rows, for a module's shared world (:func:`module_world`) too."""

    def make(org: Organisation, **overrides: Any) -> Member:
        return services.member_create(actor=None, data=member_data(org, **overrides))

    hn_member = make(tree.cell_a, full_name="Hoàng Văn Hà Nội")
    hue_member = make(tree.hue_cell, full_name="Hoàng Văn Huế", citizen_id="001080099999")
    return {
        "hn": {"province": tree.hanoi, "grassroots": tree.school, "cell": tree.cell_a, "member": hn_member},
        "hue": {
            "province": tree.hue,
            "grassroots": tree.hue_cell,
            "cell": tree.hue_cell,
            "member": hue_member,
        },
    }


def volunteer_assign(volunteer: Any, cell: Organisation, *, days: int = 60) -> Any:
    """An assignment of ``volunteer`` to ``cell`` running from yesterday for ``days`` days (issue 17): the
    matrices' volunteers act on their own side's cell, a real scope to leak from."""

    from partycard.accounts.models import VolunteerAssignment
    from partycard.core import clock

    today = clock.today()
    return VolunteerAssignment.objects.create(
        volunteer=volunteer, organisation=cell, starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=days), created_at=clock.now(),
    )  # fmt: skip


def _legacy_token(user: Any) -> str:
    from partycard.api import tokens
    from partycard.api.models import ApiToken
    from partycard.core import clock

    plaintext = tokens.new_token()
    ApiToken.objects.create(
        user=user, name="matrix", prefix=tokens.display_prefix(plaintext),
        key_hash=tokens.key_hash(plaintext), created_at=clock.now(),
    )  # fmt: skip
    return plaintext


def side_users(
    sides: dict[str, dict[str, Any]], *, app_labels: tuple[str, ...], prefix: str
) -> tuple[dict[tuple[str, str], Any], dict[tuple[str, str], str]]:
    """Every role's user on each side of the matrices, placed by ``ROLE_PLACE``, with an API token each.

    Officers are staff holding the model permissions of ``app_labels``, so the admin is probed for real,
    as an attacker with an officer's login would find it.
    """
    from django.contrib.auth.models import Permission

    from partycard.accounts.models import Role, User
    from partycard.api.services import token_issue

    perms = list(Permission.objects.filter(content_type__app_label__in=app_labels))
    users, tokens = {}, {}
    for side in sides:
        for role in Role:
            user = User.objects.create_user(
                f"{prefix}{side}-{role}", password="mat-khau-dai-1", role=role,
                organisation=sides[side][ROLE_PLACE[role]],
                member=sides[side]["member"] if role == Role.MEMBER else None, is_staff=role != Role.MEMBER,
            )  # fmt: skip
            if role != Role.MEMBER:
                user.user_permissions.add(*perms)
            if role == Role.YOUTH_VOLUNTEER:
                volunteer_assign(user, sides[side]["cell"])
            users[(side, role)] = user
            if role == Role.MEMBER:
                # Members get no tokens (api.services.token_issue refuses them); one made before that
                # rule is written directly, and the API refuses it (api.auth.TokenAuth).
                tokens[(side, role)] = _legacy_token(user)
            else:
                tokens[(side, role)] = token_issue(actor=None, user=user, name="matrix")[1]
    return users, tokens


class ModuleWorld:
    """Rows built once for a test module, the settings and environment they were built under, and the
    objects that name them (``module_world``)."""

    def __init__(self, objects: Any, settings: dict[str, Any], environ: dict[str, str]) -> None:
        self.objects, self.settings, self.environ = objects, settings, environ

    def enter(self, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
        """Apply the world's settings and environment to one test and hand it its own copy of the objects
        (a test may change an instance in memory; the rows themselves are rolled back after each test)."""
        for name, value in self.environ.items():
            monkeypatch.setenv(name, value)
        for name, value in self.settings.items():
            setattr(settings, name, value)
        return copy.deepcopy(self.objects)


class _RecordingSettings:
    """The ``settings`` fixture's interface for a module-scoped builder: each assignment is applied at once
    (the builder's services read it) and remembered, so every test of the module gets it again."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        object.__setattr__(self, "_stack", stack)
        object.__setattr__(self, "applied", {})

    def __setattr__(self, name: str, value: Any) -> None:
        from django.test import override_settings

        self._stack.enter_context(override_settings(**{name: value}))
        self.applied[name] = value

    def __getattr__(self, name: str) -> Any:
        from django.conf import settings

        return getattr(settings, name)


@contextlib.contextmanager
def module_world(
    django_db_blocker: Any, tmp_path: Any, build: Callable[[Any, Any, pytest.MonkeyPatch], Any]
) -> Iterator[ModuleWorld]:
    """Build a module's world once, in a transaction that stays open for the module and is rolled back at
    its end. Each test's own transaction (pytest-django's ``db``) is then a savepoint inside it, rolled back
    after the test as usual, so every test starts from the same world and no row outlives the module.

    Why: the leak and write matrices run some 1,000 tests over the same two provinces; building them for
    each test (organisations, users, tokens, a card, a job, a sync preview, a review proposal …) took
    0.7 s a test on PostgreSQL, most of the matrices' time. ``build(tmp_path, settings, monkeypatch)``
    gets a module temporary directory and the ``settings``/``monkeypatch`` interfaces; what it sets is
    applied again to each test by :meth:`ModuleWorld.enter`.
    """
    with contextlib.ExitStack() as stack, pytest.MonkeyPatch.context() as monkeypatch:
        stack.enter_context(django_db_blocker.unblock())
        atomic = transaction.atomic()
        # As Django's TestCase marks its own: a durable block inside a test then nests in it as in a TestCase.
        atomic._from_testcase = True  # type: ignore[attr-defined]
        atomic.__enter__()
        try:
            environ_before = dict(os.environ)
            settings = _RecordingSettings(stack)
            objects = build(tmp_path, settings, monkeypatch)
            environ = {k: v for k, v in os.environ.items() if environ_before.get(k) != v}
            yield ModuleWorld(objects, dict(settings.applied), environ)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- issue 19: no test may leave a process running (tests/process_leaks.py; marked in pytest_configure) ---
@pytest.hookimpl(trylast=True)  # after xdist has stopped its workers
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if a process started by a test is still alive, naming it, and kill it (CI must not
    hang on it)."""
    from tests.process_leaks import MARKER, interpreter_helpers_drop, processes_kill, processes_marked

    config = session.config
    value = os.environ.get(MARKER)
    if hasattr(config, "workerinput") or not value or not value.startswith(f"{os.getpid()}-"):
        return
    leaks = processes_marked(value, exclude={os.getpid()}, root=os.getpid())
    leaks = interpreter_helpers_drop(leaks, parent=os.getpid())  # they end with this process
    if not leaks:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    title = f"{len(leaks)} process(es) left running by the tests (killed now)"
    lines = [f"pid {pid}: {command}" for pid, command in leaks]
    if reporter is not None:
        reporter.line("")
        reporter.write_sep("=", title, red=True)
        for line in lines:
            reporter.write_line(line, red=True)
    else:
        print(title, *lines, sep="\n")
    processes_kill(leaks)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
