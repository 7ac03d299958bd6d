"""A user works for one party organisation; everything they see is that organisation's subtree. Their
TOTP devices keep the secret encrypted. A Youth Union volunteer's scope is instead the cells of their
unexpired assignments (``VolunteerAssignment``)."""

from __future__ import annotations

from binascii import unhexlify
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice as BaseTOTPDevice
from django_otp.plugins.otp_totp.models import default_key, key_validator

from partycard.accounts import otpauth, totp_key
from partycard.accounts.roles import Role
from partycard.core.scope import ScopedManager, ScopedQuerySet

__all__ = [
    "PHONE_VALIDATOR",
    "EncryptedSecretField",
    "Role",
    "SmsDevice",
    "TOTPDevice",
    "User",
    "UserManager",
    "VolunteerAssignment",
]

# A Vietnamese mobile number as officers write it: 0 and nine digits (the registry's rule for members).
PHONE_VALIDATOR = RegexValidator(r"^0[0-9]{9}\Z", _("Phone number must be 10 digits starting with 0."))


class UserManager(DjangoUserManager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    """Django's user manager with the scope filter: ``User.objects.scoped(actor, Action.VIEW_OFFICER)``
    is the accounts of the actor's subtree (by the account's organisation), like every scoped model."""

    use_in_migrations = True


class User(AbstractUser):  # type: ignore[django-manager-missing]  # TOTPDevice's base is untyped
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.MEMBER)
    # For the member role: the user's own record, the only one they may see.
    member = models.OneToOneField(
        "registry.Member", verbose_name=_("member record"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="user",
    )  # fmt: skip
    # Where a password-reset link goes by SMS (accounts.sender); the e-mail is AbstractUser's.
    phone = models.CharField(_("phone"), max_length=15, blank=True, validators=[PHONE_VALIDATOR])
    # Set when a superior gave a temporary password or a reset link (officers.services): until the user
    # chooses their own, every page but the password change sends them there (accounts.middleware).
    password_change_required = models.BooleanField(_("must change password at next login"), default=False)
    # Raised to end every session of the account at once (two-factor reset, disabling): it enters the
    # session hash, which Django checks on each request. 0 keeps Django's own hash (no logout on upgrade).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    # "nguyen van an" for "Nguyễn Văn An" (core.text.fold of last + first name), kept by the services, so
    # that the officer list's accent-insensitive search runs in SQL on both databases.
    name_search = models.CharField(max_length=301, blank=True, default="", editable=False)

    objects: ClassVar[UserManager] = UserManager()
    scope_path = "organisation__path"
    scope_own = None  # no role sees accounts by its own member record

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def full_name(self) -> str:
        """Vietnamese order: family and middle names (``last_name``), then the given name (``first_name``)."""
        return f"{self.last_name} {self.first_name}".strip()

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's hash of the password, with ``session_epoch`` mixed in once it has been raised."""
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "partycard.accounts.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class EncryptedSecretField(models.TextField):
    """A secret kept encrypted in the database (``totp_key``): Python sees the plain value, SQL the token."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else totp_key.secret_decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return None if value is None else totp_key.secret_encrypt(value)


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """django-otp's TOTP device (RFC 6238) with its secret encrypted at rest.

    django-otp's ``TOTPDevice`` is concrete and keeps ``key`` in plain hex, so this model has the same fields
    with ``key`` in an ``EncryptedSecretField``, and takes django-otp's own verification code (the token
    check, throttling, refusal of a time step already used, drift) from it unchanged: they read the secret
    only through ``bin_key``. The provisioning URI is ``otpauth``'s, naming the issuer in Vietnamese.
    Migration 0004 moved the existing devices here.
    """

    user: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="totp_devices",
        verbose_name=_("user"),
    )
    key = EncryptedSecretField(_("secret"), default=default_key, validators=[key_validator])  # hex, encrypted
    step: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(default=30)
    t0: models.BigIntegerField[int, int] = models.BigIntegerField(default=0)
    digits: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        choices=[(6, 6), (8, 8)], default=6
    )
    tolerance: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(default=1)
    drift: models.SmallIntegerField[int, int] = models.SmallIntegerField(default=0)
    last_t: models.BigIntegerField[int, int] = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = _("TOTP device")
        verbose_name_plural = _("TOTP devices")

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    # django-otp's code, not a copy: each reads the secret through ``bin_key`` above.
    verify_token = BaseTOTPDevice.verify_token
    get_throttle_factor = BaseTOTPDevice.get_throttle_factor
    _read_str_from_settings = BaseTOTPDevice._read_str_from_settings

    @property
    def config_url(self) -> str:
        """The ``otpauth://`` URI of the enrolment QR code, naming ``PARTYCARD_TOTP_ISSUER`` (``otpauth``)."""
        return otpauth.totp_uri(
            secret=self.bin_key,
            account=str(self.user.get_username()),
            issuer=str(settings.PARTYCARD_TOTP_ISSUER),
            digits=self.digits,
            period=self.step,
        )


class SmsDevice(ThrottlingMixin, Device):
    """A member's second factor: a one-time six-digit code sent by SMS to the account's phone
    (``accounts.sms_code``). Only a keyed hash of the current code is kept, with its expiry and how many
    wrong tries it has had; django-otp's throttling adds its exponential back-off between tries."""

    user: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sms_devices",
        verbose_name=_("user"),
    )
    code_hash: models.CharField[str, str] = models.CharField(max_length=64, blank=True, default="")
    valid_until: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    sent_at: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    tries: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(default=0)

    class Meta(Device.Meta):
        verbose_name = _("SMS code device")
        verbose_name_plural = _("SMS code devices")

    def get_throttle_factor(self) -> int:
        return 1  # 1, 2, 4, 8 … seconds between wrong codes (django-otp's back-off)


class VolunteerAssignment(models.Model):
    """A Youth Union volunteer assigned by a committee to one cell for a period (issue 17: "assigned by a
    committee to named cells for a period … the assignment expires by itself").

    One row per cell. The volunteer's scope (``core.scope.ScopeKind.ASSIGNED``, ``roles.RoleTable``) is the
    union of the cells of their rows with ``starts_on <= today <= ends_on`` and no ``revoked_at``: it ends on
    its own after ``ends_on``, with no job to run. Rows are never deleted (who was assigned where, when, and
    by whom stays readable); the services (``review.assignments_services``) create and revoke them, check
    that the organisation holds members and the period's length, and audit both.
    """

    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("volunteer"), on_delete=models.PROTECT,
        related_name="volunteer_assignments",
    )  # fmt: skip
    organisation = models.ForeignKey(
        "registry.Organisation", verbose_name=_("cell"), on_delete=models.PROTECT,
        related_name="volunteer_assignments",
    )  # fmt: skip
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))  # inclusive: the last day the volunteer acts
    note = models.CharField(_("note"), max_length=500, blank=True, default="")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip

    objects = ScopedManager["VolunteerAssignment"]()
    # An officer sees the assignments to cells of their subtree; a volunteer, those of their own cells.
    scope_path = "organisation__path"
    scope_own = None

    class Meta:
        verbose_name = _("volunteer assignment")
        verbose_name_plural = _("volunteer assignments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="assignment_period_ordered"
            ),
        ]
        # The scope's question on every call: this volunteer's rows still running (``RoleTable``).
        indexes = [models.Index(fields=["volunteer", "ends_on"], name="assignment_volunteer_ends")]

    def __str__(self) -> str:
        return f"{self.volunteer_id} → {self.organisation_id} ({self.starts_on}–{self.ends_on})"

    def active_on(self, day: Any) -> bool:
        """Whether the assignment gives its cell to the volunteer on ``day`` (a date)."""
        return self.revoked_at is None and self.starts_on <= day <= self.ends_on
