"""Refusals of the officer services: flat, named after what failed, each with a Vietnamese message."""

from __future__ import annotations

from django.utils.translation import gettext as _

from partycard.core.errors import DomainError, ErrorCode

__all__ = [
    "AlreadyInState",
    "LastAdministrator",
    "NotLocked",
    "OfficerError",
    "OrganisationDissolved",
    "RightsBeyondYours",
    "RoleNotGrantable",
    "SelfAction",
    "WrongLevel",
]


class OfficerError(DomainError):
    """The root of the officer services' refusals."""


class SelfAction(OfficerError):
    """An officer acting on their own account through the officer pages."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "You cannot change your own account here: another officer who manages it must. To change "
                "your own password, use the Change password page."
            ),
            code=ErrorCode.CONFLICT,
        )


class RoleNotGrantable(OfficerError):
    def __init__(self, role_label: str) -> None:
        super().__init__(
            _("You may not give the role “%(role)s”: only roles whose rights you hold yourself.")
            % {"role": role_label},
            code=ErrorCode.INVALID,
            field="role",
        )


class RightsBeyondYours(OfficerError):
    """The account holds a right the actor lacks (a higher role, the admin site, superuser)."""

    def __init__(self) -> None:
        super().__init__(
            _("This account holds rights you do not have: only an officer who holds them may change it."),
            code=ErrorCode.FORBIDDEN,
        )


class WrongLevel(OfficerError):
    def __init__(self, role_label: str, org_name: str) -> None:
        super().__init__(
            _("A “%(role)s” does not work at %(organisation)s: choose an organisation of that role's level.")
            % {"role": role_label, "organisation": org_name},
            code=ErrorCode.INVALID,
            field="organisation",
        )


class OrganisationDissolved(OfficerError):
    def __init__(self, org_name: str) -> None:
        super().__init__(
            _("%(organisation)s has been dissolved: choose an organisation that still exists.")
            % {"organisation": org_name},
            code=ErrorCode.INVALID,
            field="organisation",
        )


class LastAdministrator(OfficerError):
    def __init__(self) -> None:
        super().__init__(
            _("This is the last active central administrator: appoint another one first."),
            code=ErrorCode.CONFLICT,
        )


class AlreadyInState(OfficerError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code=ErrorCode.CONFLICT)


class NotLocked(OfficerError):
    def __init__(self) -> None:
        super().__init__(_("This account is not locked out."), code=ErrorCode.CONFLICT)
