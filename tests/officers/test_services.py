"""The officer services, from issue 15's text: a committee officer creates officers for their subtree
(role, organisation), resets their password and two-factor device, disables them; all scoped and audited.
"An officer of Hà Nội cannot create an officer for Huế, nor move one there, nor touch one there: 404 like
missing." "The actor may grant only roles at or below their own and never superuser/central administrator
unless they are one; a member account is not an officer." No password or secret in the audit row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.db.models import Max

from partycard.accounts import hooks
from partycard.accounts.models import Role, TOTPDevice, User
from partycard.accounts.password_reset import NoAddress
from partycard.api.models import ApiToken
from partycard.api.services import token_issue, token_revoke
from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify
from partycard.core.scope import OutOfScope
from partycard.officers import services
from partycard.officers.errors import (
    AlreadyInState,
    LastAdministrator,
    NotLocked,
    RightsBeyondYours,
    RoleNotGrantable,
    SelfAction,
    WrongLevel,
)
from partycard.officers.services import Delivery, OfficerDetails
from tests.officers.conftest import BASE_URL, PASSWORD, lockout_record, officer_make

pytestmark = pytest.mark.django_db


def details(org: Any, role: str = Role.CELL_SECRETARY, **overrides: Any) -> OfficerDetails:
    values: dict[str, Any] = {
        "full_name": "Lê Thị Mai",
        "email": "mai@example.vn",
        "phone": "0911222333",
        "role": role,
        "organisation": org,
    }
    values.update(overrides)
    return OfficerDetails(**values)


def audit_text() -> str:
    return str(list(AuditEvent.objects.values_list("action", "changes")))


def assert_no_secret(*secrets: str) -> None:
    """No audit row holds a password, a password hash, a token or a TOTP key."""
    text = audit_text()
    for secret in secrets:
        assert secret and secret not in text
    for user in User.objects.all():
        assert user.password not in text
    for device in TOTPDevice.objects.all():
        assert device.key not in text
    assert "argon2" not in text and "md5$" not in text and "pbkdf2" not in text


def test_a_committee_officer_creates_a_cell_secretary_in_their_subtree(tree: Any, hanoi: User) -> None:
    issued = services.officer_create(
        actor=hanoi, username="Mai.GV1", details=details(tree.cell_a), delivery=Delivery.TEMPORARY
    )
    officer = User.objects.get(pk=issued.officer.pk)
    assert (officer.username, officer.role, officer.organisation_id) == (
        "mai.gv1",
        Role.CELL_SECRETARY,
        tree.cell_a.pk,
    )
    assert (officer.last_name, officer.first_name, officer.full_name) == ("Lê Thị", "Mai", "Lê Thị Mai")
    assert officer.name_search == "le thi mai"
    assert issued.temporary_password and officer.check_password(issued.temporary_password)
    assert officer.password_change_required and officer.is_active and not officer.is_staff
    created, password_set = AuditEvent.objects.filter(
        object_type="accounts.user", object_id=str(officer.pk)
    ).order_by("seq")
    assert (created.action, created.actor, created.changes["role"]) == (
        "create",
        "tinh-hn",
        [None, "cell_secretary"],
    )
    assert password_set.action == "password_set"
    assert password_set.changes["door"] == [None, "officers"]
    assert password_set.changes["password_change_required"] == [False, True]
    assert_no_secret(issued.temporary_password)
    assert audit_verify().ok


def test_hanoi_cannot_create_an_officer_for_hue(tree: Any, hanoi: User) -> None:
    before = AuditEvent.objects.aggregate(m=Max("seq"))["m"]
    with pytest.raises(OutOfScope) as refused:
        services.officer_create(
            actor=hanoi, username="lau", details=details(tree.hue_cell), delivery=Delivery.TEMPORARY
        )
    missing = OutOfScope()
    assert refused.value.message == missing.message and refused.value.http_status == 404
    assert not User.objects.filter(username="lau").exists()
    assert AuditEvent.objects.aggregate(m=Max("seq"))["m"] == before


def test_hanoi_cannot_move_its_officer_to_hue(tree: Any, hanoi: User, secretary: User) -> None:
    with pytest.raises(OutOfScope):
        services.officer_update(actor=hanoi, officer=secretary, details=details(tree.hue_cell))
    assert User.objects.get(pk=secretary.pk).organisation_id == tree.cell_a.pk


def _writes() -> dict[str, Callable[[Any, User], Any]]:
    return {
        "update": lambda actor, officer: services.officer_update(
            actor=actor, officer=officer, details=details(officer.organisation, full_name="Đã Bị Sửa")
        ),
        "password temporary": lambda actor, officer: services.officer_password_reset(
            actor=actor, officer=officer, delivery=Delivery.TEMPORARY
        ),
        "password link": lambda actor, officer: services.officer_password_reset(
            actor=actor, officer=officer, delivery=Delivery.EMAIL, base_url=BASE_URL
        ),
        "two factor": lambda actor, officer: services.officer_two_factor_reset(actor=actor, officer=officer),
        "disable": lambda actor, officer: services.officer_disable(actor=actor, officer=officer),
        "enable": lambda actor, officer: services.officer_enable(actor=actor, officer=officer),
        "unlock": lambda actor, officer: services.officer_unlock(actor=actor, officer=officer),
    }


WRITES = _writes()


@pytest.mark.parametrize("write", list(WRITES))
def test_hanoi_cannot_touch_an_officer_of_hue(
    hanoi: User, hue_secretary: User, write: str, outbox: list[Any]
) -> None:
    if write == "enable":
        User.objects.filter(pk=hue_secretary.pk).update(is_active=False)
    lockout_record(hue_secretary.username, "10.0.0.1")
    before = list(User.objects.filter(pk=hue_secretary.pk).values())
    devices = list(TOTPDevice.objects.filter(user=hue_secretary).values())
    last = AuditEvent.objects.aggregate(m=Max("seq"))["m"]
    with pytest.raises(OutOfScope):
        WRITES[write](hanoi, hue_secretary)
    assert list(User.objects.filter(pk=hue_secretary.pk).values()) == before
    assert list(TOTPDevice.objects.filter(user=hue_secretary).values()) == devices
    assert AccessAttempt.objects.filter(username=hue_secretary.username).exists()
    assert not AuditEvent.objects.filter(seq__gt=last).exists()
    assert outbox == []


@pytest.mark.parametrize("write", list(WRITES))
def test_roles_without_officer_management_touch_no_officer(
    tree: Any, secretary: User, write: str, outbox: list[Any]
) -> None:
    """Grassroots officers, cell secretaries, inspectors and members of Hà Nội manage no account there."""
    for n, role in enumerate([Role.GRASSROOTS_OFFICER, Role.CELL_SECRETARY, Role.INSPECTOR, Role.MEMBER]):
        actor = officer_make(f"khong-{n}", role, tree.hanoi if role == Role.INSPECTOR else tree.school)
        with pytest.raises(OutOfScope):
            WRITES[write](actor, secretary)
    with pytest.raises(OutOfScope):
        services.officer_create(
            actor=actor, username="moi", details=details(tree.cell_a), delivery=Delivery.TEMPORARY
        )


@pytest.mark.parametrize(
    ("role", "org"),
    [
        (Role.CENTRAL_ADMIN, "hanoi"),
        (Role.INSPECTOR, "hanoi"),
        (Role.MEMBER, "cell_a"),
        ("superuser", "cell_a"),
    ],
)
def test_a_committee_officer_grants_no_role_above_their_own(
    tree: Any, hanoi: User, role: str, org: str
) -> None:
    with pytest.raises(RoleNotGrantable) as refused:
        services.officer_create(
            actor=hanoi,
            username="len-chuc",
            details=details(getattr(tree, org), role=role),
            delivery=Delivery.TEMPORARY,
        )
    assert refused.value.field == "role"
    assert not User.objects.filter(username="len-chuc").exists()


def test_the_roles_a_committee_officer_grants_are_at_or_below_their_own(tree: Any, hanoi: User) -> None:
    for n, (role, org) in enumerate(
        [
            (Role.COMMITTEE_OFFICER, tree.ba_dinh),
            (Role.GRASSROOTS_OFFICER, tree.school),
            (Role.CELL_SECRETARY, tree.cell_b),
        ]
    ):
        services.officer_create(
            actor=hanoi, username=f"cap-{n}", details=details(org, role=role), delivery=Delivery.TEMPORARY
        )
        assert User.objects.get(username=f"cap-{n}").role == role


def test_only_a_central_administrator_grants_the_central_role(tree: Any, centre: User, hanoi: User) -> None:
    issued = services.officer_create(
        actor=centre,
        username="tw-2",
        details=details(tree.centre, role=Role.CENTRAL_ADMIN),
        delivery=Delivery.TEMPORARY,
    )
    assert issued.officer.role == Role.CENTRAL_ADMIN and not issued.officer.is_superuser
    with pytest.raises(RoleNotGrantable):  # promoting one's own officer to the central role
        officer = officer_make("pho-tinh", Role.COMMITTEE_OFFICER, tree.hanoi)
        services.officer_update(
            actor=hanoi, officer=officer, details=details(tree.hanoi, role=Role.CENTRAL_ADMIN)
        )


def test_an_officer_cannot_be_placed_at_the_wrong_level(tree: Any, hanoi: User) -> None:
    with pytest.raises(WrongLevel) as refused:
        services.officer_create(
            actor=hanoi, username="sai-cap", details=details(tree.ba_dinh), delivery=Delivery.TEMPORARY
        )
    assert refused.value.field == "organisation"


def test_accounts_with_more_rights_than_the_actor_are_left_alone(tree: Any, hanoi: User) -> None:
    """Resetting a password hands it to the actor: not over an account with rights they lack."""
    above = [
        officer_make("tw-tai-hn", Role.CENTRAL_ADMIN, tree.hanoi),
        officer_make("thanh-tra", Role.INSPECTOR, tree.ba_dinh),
        officer_make("sieu", Role.CELL_SECRETARY, tree.cell_a, is_superuser=True),
        officer_make("nhan-vien", Role.CELL_SECRETARY, tree.cell_a, is_staff=True),
    ]
    for officer in above:
        for write in ("password temporary", "two factor", "disable"):
            with pytest.raises(RightsBeyondYours):
                WRITES[write](hanoi, officer)
        assert User.objects.get(pk=officer.pk).is_active


def test_no_one_acts_on_their_own_account(hanoi: User) -> None:
    for write in ("update", "password temporary", "two factor", "disable"):
        with pytest.raises(SelfAction):
            WRITES[write](hanoi, hanoi)
    hanoi.refresh_from_db()
    assert hanoi.is_active and hanoi.role == Role.COMMITTEE_OFFICER


def test_the_last_central_administrator_is_neither_disabled_nor_demoted(tree: Any, centre: User) -> None:
    """The system (``actor=None``: the operator's shell) is held to it too; the pages refuse self-actions."""
    with pytest.raises(LastAdministrator):
        services.officer_disable(actor=None, officer=centre)
    with pytest.raises(LastAdministrator):
        services.officer_update(
            actor=None, officer=centre, details=details(tree.centre, role=Role.COMMITTEE_OFFICER)
        )
    second = officer_make("tw-2", Role.CENTRAL_ADMIN, tree.centre)
    services.officer_disable(actor=second, officer=centre)
    assert not User.objects.get(pk=centre.pk).is_active
    with pytest.raises(LastAdministrator):
        services.officer_disable(actor=None, officer=second)


def test_disable_ends_the_sessions_and_enable_restores(hanoi: User, secretary: User) -> None:
    epoch, hash_before = secretary.session_epoch, secretary.get_session_auth_hash()
    services.officer_disable(actor=hanoi, officer=secretary)
    secretary.refresh_from_db()
    assert not secretary.is_active and secretary.session_epoch == epoch + 1
    assert secretary.get_session_auth_hash() != hash_before
    with pytest.raises(AlreadyInState):
        services.officer_disable(actor=hanoi, officer=secretary)
    services.officer_enable(actor=hanoi, officer=secretary)
    assert User.objects.get(pk=secretary.pk).is_active
    actions = list(
        AuditEvent.objects.filter(object_type="accounts.user", object_id=str(secretary.pk)).values_list(
            "action", "changes"
        )
    )
    assert ("officer_disable", {"is_active": [True, False]}) in actions
    assert ("officer_enable", {"is_active": [False, True]}) in actions


def test_disable_revokes_the_api_tokens_in_the_same_transaction_with_audit(
    hanoi: User, secretary: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: a disabled officer's API tokens are revoked, not only refused while disabled; enabling the
    account again does not bring them back."""
    live, _ = token_issue(actor=None, user=secretary, name="script")
    spent, _ = token_issue(actor=None, user=secretary, name="old")
    token_revoke(actor=None, token=spent, at=spent.created_at)
    other, _ = token_issue(actor=None, user=hanoi, name="mine")

    # A failure later in the same transaction leaves the tokens as they were, and the account active.
    def fails(user: Any, *, actor: Any) -> None:
        raise RuntimeError("after the tokens")

    with monkeypatch.context() as patch:
        patch.setitem(hooks._handlers, "zz-fails", fails)
        with pytest.raises(RuntimeError, match="after the tokens"):
            services.officer_disable(actor=hanoi, officer=secretary)
    assert User.objects.get(pk=secretary.pk).is_active
    assert ApiToken.objects.get(pk=live.pk).revoked_at is None

    services.officer_disable(actor=hanoi, officer=secretary)
    revoked = ApiToken.objects.get(pk=live.pk)
    assert revoked.revoked_at is not None and not revoked.usable_at(revoked.revoked_at)
    assert ApiToken.objects.get(pk=spent.pk).revoked_at == spent.created_at  # revoked before: unchanged
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None  # the superior's own token: untouched
    event = AuditEvent.objects.get(action="revoke", object_type="api.apitoken", object_id=str(live.pk))
    assert event.actor == hanoi.username
    assert event.changes == {
        "revoked_at": [None, revoked.revoked_at.isoformat()],
        "cause": [None, "account_disabled"],
    }
    assert audit_verify().ok
    services.officer_enable(actor=hanoi, officer=secretary)
    assert ApiToken.objects.get(pk=live.pk).revoked_at == revoked.revoked_at  # enabling keeps them revoked


def test_a_two_factor_reset_removes_the_devices_and_ends_the_sessions(hanoi: User, secretary: User) -> None:
    key = TOTPDevice.objects.get(user=secretary).key
    hash_before = secretary.get_session_auth_hash()
    assert services.officer_two_factor_reset(actor=hanoi, officer=secretary) == 1
    assert not TOTPDevice.objects.filter(user=secretary).exists()
    secretary.refresh_from_db()
    assert secretary.get_session_auth_hash() != hash_before
    assert secretary.check_password(PASSWORD)  # the password stays
    actions = [e.action for e in AuditEvent.objects.order_by("seq")]
    assert actions[-2:] == ["otp_remove", "officer_two_factor_reset"]
    assert_no_secret(key)


def test_a_temporary_password_replaces_the_old_one(hanoi: User, secretary: User) -> None:
    password = services.officer_password_reset(actor=hanoi, officer=secretary, delivery=Delivery.TEMPORARY)
    secretary.refresh_from_db()
    assert password and secretary.check_password(password) and not secretary.check_password(PASSWORD)
    assert secretary.password_change_required
    assert TOTPDevice.objects.filter(user=secretary, confirmed=True).exists()  # 2FA stays
    assert_no_secret(password)


@pytest.mark.parametrize(
    ("delivery", "address"), [(Delivery.EMAIL, "binh@example.vn"), (Delivery.SMS, "0912345678")]
)
def test_a_reset_link_is_sent_and_the_old_password_stops(
    hanoi: User, secretary: User, outbox: list[Any], delivery: Delivery, address: str
) -> None:
    assert (
        services.officer_password_reset(actor=hanoi, officer=secretary, delivery=delivery, base_url=BASE_URL)
        is None
    )
    (message,) = outbox
    assert (message.channel.value, message.to) == (delivery.value, address)
    assert f"{BASE_URL}dang-nhap/dat-lai-mat-khau/" in message.body
    secretary.refresh_from_db()
    assert not secretary.has_usable_password() and secretary.password_change_required
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.changes["password"], event.changes["door"]) == (
        "password_set",
        [None, "disabled"],
        [None, "officers_link"],
    )
    link = message.body.split(BASE_URL, 1)[1].split()[0]
    assert link not in audit_text()


def test_a_link_to_an_account_without_that_address_changes_nothing(
    tree: Any, hanoi: User, outbox: list[Any]
) -> None:
    officer = officer_make("khong-mail", Role.CELL_SECRETARY, tree.cell_a, phone="0911000111")
    with pytest.raises(NoAddress):
        services.officer_password_reset(
            actor=hanoi, officer=officer, delivery=Delivery.EMAIL, base_url=BASE_URL
        )
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD) and not officer.password_change_required and outbox == []


def test_unlock_lifts_the_lock_out(hanoi: User, secretary: User) -> None:
    with pytest.raises(NotLocked):
        services.officer_unlock(actor=hanoi, officer=secretary)
    for address in ("10.0.0.1", "10.0.0.2"):
        lockout_record(secretary.username, address)
    assert services.officer_unlock(actor=hanoi, officer=secretary) == 2
    assert not AccessAttempt.objects.filter(username=secretary.username).exists()
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.changes) == ("officer_unlock", {"failure_records": [2, 0]})


def test_bad_input_is_refused_by_field(tree: Any, hanoi: User, secretary: User) -> None:
    cases = {
        "username": ("bithu-gv1", {}),  # taken
        "email": ("moi-1", {"email": "", "phone": ""}),
        "phone": ("moi-2", {"phone": "12345"}),
        "full_name": ("moi-3", {"full_name": "Lê\u202eMai"}),
    }
    for field, (username, overrides) in cases.items():
        with pytest.raises(ValidationError) as refused:
            services.officer_create(
                actor=hanoi,
                username=username,
                details=details(tree.cell_a, **overrides),
                delivery=Delivery.TEMPORARY,
            )
        assert field in refused.value.message_dict, (field, refused.value.message_dict)
    assert not User.objects.filter(username__startswith="moi-").exists()
