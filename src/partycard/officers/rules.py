"""Who may give which role to whom, and where: the officer-management rules of issue 15, pure functions of
the role table (``accounts.roles``) and the organisation levels (``registry.choices``).

* **Granting** (issue 15: "the actor may grant only roles at or below their own and never superuser or
  central administrator unless they are one; a member account is not an officer"): a role is at or below
  the actor's when every action it allows is one the actor's role allows (``ROLE_ACTIONS``). So a committee
  officer grants committee officer, grassroots officer and cell secretary, but not inspector (the
  Inspection Commission changes inspections, which the committee does not: the inspected do not make their
  inspectors), and only a central administrator grants central administrator. Superuser rights are never
  granted here (the Django admin, by a superuser).
* **Managing** an existing account (editing it, resetting its password or device, disabling, unlocking):
  resetting a password hands its new secret to the actor, who could then act as the account. So the actor
  may manage only an account that holds no right they lack: its role grantable by them, superuser only by
  a superuser, staff (the admin site) only by a superuser or by staff holding every model permission it
  holds.
* **Where** a role works: each role at the levels of organisation its work is done at (``ROLE_LEVELS``):
  a cell secretary at a cell, a grassroots officer at a grassroots organisation, a committee officer at a
  committee above the grassroots (``registry.choices.OrgLevel``, DOMAIN.md "Scale and hierarchy"); a Youth
  Union volunteer (issue 17) at the committee or grassroots organisation that assigns them to cells. Every
  action of the volunteer's row is one a committee or grassroots officer has, so both may grant it.
"""

from __future__ import annotations

from typing import Any

from partycard.accounts.roles import ROLE_ACTIONS, Action, Role
from partycard.core.scope import role_of
from partycard.registry.choices import OrgLevel

__all__ = ["OFFICER_ROLES", "ROLE_LEVELS", "grantable_roles", "holds_no_more_rights", "level_fits"]

#: The roles of officer accounts, top first (a member's account is not an officer's).
OFFICER_ROLES: tuple[Role, ...] = (
    Role.CENTRAL_ADMIN,
    Role.COMMITTEE_OFFICER,
    Role.INSPECTOR,
    Role.GRASSROOTS_OFFICER,
    Role.CELL_SECRETARY,
    # Issue 17: a Youth Union volunteer's account is made like an officer's (same password and TOTP rules,
    # accounts.two_factor); their scope is not their organisation but their assignments (review app).
    Role.YOUTH_VOLUNTEER,
)

_COMMITTEES = frozenset({OrgLevel.CENTRE, OrgLevel.CENTRAL_COMMITTEE, OrgLevel.COMMUNE})
#: The levels of organisation each officer role works at.
ROLE_LEVELS: dict[str, frozenset[int]] = {
    Role.CENTRAL_ADMIN: frozenset({OrgLevel.CENTRE, OrgLevel.CENTRAL_COMMITTEE}),
    Role.COMMITTEE_OFFICER: _COMMITTEES,
    # Inspection commissions sit at every committee down to the grassroots committee.
    Role.INSPECTOR: _COMMITTEES | {OrgLevel.GRASSROOTS_COMMITTEE},
    Role.GRASSROOTS_OFFICER: frozenset(
        {OrgLevel.GRASSROOTS_COMMITTEE, OrgLevel.SUB_COMMITTEE, OrgLevel.GRASSROOTS_CELL}
    ),
    Role.CELL_SECRETARY: frozenset({OrgLevel.CELL, OrgLevel.GRASSROOTS_CELL}),
    # A volunteer's account sits at the committee that assigns them (a committee above the grassroots or a
    # grassroots organisation): it is that committee's officers who manage it. The account's organisation
    # gives no scope (``accounts.roles.scope_kind``: ASSIGNED).
    Role.YOUTH_VOLUNTEER: (_COMMITTEES - {OrgLevel.CENTRE})
    | frozenset({OrgLevel.GRASSROOTS_COMMITTEE, OrgLevel.SUB_COMMITTEE, OrgLevel.GRASSROOTS_CELL}),
}


def grantable_roles(actor: Any) -> list[Role]:
    """The officer roles ``actor`` may give (top first); none if they may not manage officers at all."""
    role = role_of(actor)
    if role is None or Action.CHANGE_OFFICER not in ROLE_ACTIONS.get(role, frozenset()):
        return []
    mine = ROLE_ACTIONS[role]
    return [
        r
        for r in OFFICER_ROLES
        if ROLE_ACTIONS[r] <= mine and (r != Role.CENTRAL_ADMIN or role == Role.CENTRAL_ADMIN)
    ]


def holds_no_more_rights(actor: Any, target: Any) -> bool:
    """Whether ``target`` holds no right ``actor`` lacks, so that ``actor`` may manage it (see above)."""
    if getattr(actor, "is_superuser", False):
        return True
    if target.is_superuser:
        return False
    if target.role not in grantable_roles(actor):
        return False
    if target.is_staff:
        return bool(actor.is_staff) and target.get_all_permissions() <= actor.get_all_permissions()
    return True


def level_fits(role: str, level: int) -> bool:
    return level in ROLE_LEVELS.get(role, frozenset())
