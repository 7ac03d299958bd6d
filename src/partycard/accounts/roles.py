"""The one role table: which role may do which action (``<app>.<verb>_<model>``), and over what scope.

Every view, export, API route, CLI command and task asks :func:`allowed` through
``core.scope`` (``objects.scoped(actor, action)``), which reads this table as its ``ScopePolicy``
(:class:`RoleTable`, registered in ``AccountsConfig.ready``); the leak-matrix tests are generated from this
table. Officers and inspectors act on their organisation's subtree; a member only on their own record; a
Youth Union volunteer on the cells of their unexpired assignments.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core import clock
from partycard.core.scope import ScopeKind

__all__ = ["ACTIONS", "ROLE_ACTIONS", "Action", "Role", "RoleTable", "ScopeKind", "allowed", "scope_kind"]


class Role(models.TextChoices):
    CENTRAL_ADMIN = "central_admin", _("Central administrator")
    COMMITTEE_OFFICER = "committee_officer", _("Committee officer")
    GRASSROOTS_OFFICER = "grassroots_officer", _("Grassroots officer")
    CELL_SECRETARY = "cell_secretary", _("Cell secretary")
    INSPECTOR = "inspector", _("Inspector")
    # Issue 17: a Youth Union volunteer helps remote cells review their members' data offline. Assigned by a
    # committee to named cells for a period (accounts.VolunteerAssignment); sees those members, exports and
    # imports their review workbooks, decides nothing.
    YOUTH_VOLUNTEER = "youth_volunteer", _("Youth Union volunteer")
    MEMBER = "member", _("Member")


class Action(StrEnum):
    VIEW_ORGANISATION = "registry.view_organisation"
    ADD_ORGANISATION = "registry.add_organisation"
    CHANGE_ORGANISATION = "registry.change_organisation"
    VIEW_MEMBER = "registry.view_member"
    SEARCH_MEMBER = "registry.search_member"
    ADD_MEMBER = "registry.add_member"
    CHANGE_MEMBER = "registry.change_member"
    IMPORT_MEMBER = "registry.import_member"
    EXPORT_MEMBER = "registry.export_member"
    VIEW_AUDIT = "audit.view_auditevent"
    VIEW_CASE = "exchange.view_case"
    # Act on exchange cases. Which transition, at which level, is workflow.check's to say.
    CHANGE_CASE = "exchange.change_case"
    EVALUATE_CAMPAIGN = "exchange.evaluate_campaign"  # run the whole-subtree eligibility job
    VIEW_CARD = "cards.view_card"
    # Act on cards (send, receive, hand over, report lost, recover…). Which, at which level: lifecycle.py.
    CHANGE_CARD = "cards.change_card"
    VIEW_JOB = "jobs.view_job"
    # Card production with the manufacturer (the Centre's): batches, their files and reports.
    VIEW_BATCH = "production.view_batch"
    CHANGE_BATCH = "production.change_batch"
    # Progress reports of the exchange (the reports app): every officer and inspector, over their subtree.
    VIEW_REPORT = "reports.view_report"
    # The Inspection Commission's inspections of an organisation's exchange work (the inspections app):
    # inspectors open them, draw samples, record findings and conclude; the inspected committee responds.
    VIEW_INSPECTION = "inspections.view_inspection"
    CHANGE_INSPECTION = "inspections.change_inspection"
    RESPOND_INSPECTION = "inspections.respond_inspection"
    # Officer accounts without the Django admin (the officers app): create for the subtree, reset password
    # and two-factor device, disable.
    VIEW_OFFICER = "officers.view_officer"
    CHANGE_OFFICER = "officers.change_officer"
    # Party procedures in the digital environment (issue 16). Which step, by which side, at which level, is
    # each app's workflow to say; these say only who may act at all, over what scope.
    # Transfer of party activity: the sending committee issues, the receiving cell confirms; both sides see.
    VIEW_TRANSFER = "transfers.view_transfer"
    CHANGE_TRANSFER = "transfers.change_transfer"
    # Cell meetings and check-in; attendance statistics.
    VIEW_MEETING = "meetings.view_meeting"
    CHANGE_MEETING = "meetings.change_meeting"
    # Party dues: the cell records and confirms; a member declares their own payment.
    VIEW_PAYMENT = "dues.view_payment"
    CHANGE_PAYMENT = "dues.change_payment"
    CLAIM_PAYMENT = "dues.claim_payment"
    # Lost or damaged cards: the member (or cell) reports, committees compile, the upper committee decides.
    VIEW_LOSS = "losses.view_lossreport"
    REPORT_LOSS = "losses.add_lossreport"
    CHANGE_LOSS = "losses.change_lossreport"
    DECIDE_LOSS = "losses.decide_lossreport"
    # The member's devices (their e-card's key): the member registers and revokes their own, the cell
    # secretary and the committees revoke a member's lost phone.
    VIEW_DEVICE = "memberapp.view_device"
    CHANGE_DEVICE = "memberapp.change_device"
    # The member data made complete and true (issue 17).
    # The cross-check with the national population database: results and the tasks it routes to cells.
    VIEW_POPULATION_CHECK = "population.view_check"
    RUN_POPULATION_CHECK = "population.run_check"  # start a (subtree's or the country's) check job
    RESOLVE_DATA_TASK = "population.change_datatask"  # correct the record, or confirm it with a note
    # Synchronisation with the Party's existing member database: import a full export (upsert), export.
    SYNC_MEMBER = "partysync.sync_member"
    # Offline review: workbooks and paper forms out, workbooks back in (a proposal), applied by an officer.
    EXPORT_REVIEW = "review.export_workbook"
    IMPORT_REVIEW = "review.import_workbook"
    APPLY_REVIEW = "review.apply_review"  # decide on an imported review's changes and conflicts
    VIEW_ASSIGNMENT = "review.view_assignment"
    ASSIGN_VOLUNTEER = "review.change_assignment"  # assign a Youth Union volunteer to cells for a period


ACTIONS = frozenset(Action)
_READ = {Action.VIEW_ORGANISATION, Action.VIEW_MEMBER, Action.SEARCH_MEMBER}
_EDIT_MEMBERS = {Action.ADD_MEMBER, Action.CHANGE_MEMBER, Action.IMPORT_MEMBER, Action.EXPORT_MEMBER}
_EXCHANGE = {Action.VIEW_CASE, Action.CHANGE_CASE, Action.VIEW_JOB, Action.VIEW_CARD, Action.CHANGE_CARD}
_PROCEDURES = {
    Action.VIEW_TRANSFER,
    Action.CHANGE_TRANSFER,
    Action.VIEW_MEETING,
    Action.CHANGE_MEETING,
    Action.VIEW_PAYMENT,
    Action.CHANGE_PAYMENT,
    Action.VIEW_LOSS,
    Action.REPORT_LOSS,
    Action.CHANGE_LOSS,
    Action.VIEW_DEVICE,
    Action.CHANGE_DEVICE,
}
_PROCEDURES_READ = {Action.VIEW_TRANSFER, Action.VIEW_MEETING, Action.VIEW_PAYMENT, Action.VIEW_LOSS}
# Issue 17: the cell reviews its members' data (offline too) and resolves the population check's tasks.
_DATA_REVIEW = {
    Action.VIEW_POPULATION_CHECK,
    Action.RESOLVE_DATA_TASK,
    Action.EXPORT_REVIEW,
    Action.IMPORT_REVIEW,
    Action.APPLY_REVIEW,
}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.CENTRAL_ADMIN: frozenset(Action),
    Role.COMMITTEE_OFFICER: frozenset(
        _READ
        | _EDIT_MEMBERS
        | _EXCHANGE
        | _PROCEDURES
        | {
            Action.DECIDE_LOSS,  # the standing committee directly above the grassroots decides (4-TDV)
            Action.ADD_ORGANISATION,
            Action.CHANGE_ORGANISATION,
            Action.VIEW_AUDIT,
            Action.EVALUATE_CAMPAIGN,
            Action.VIEW_BATCH,  # a province follows its own batches
            Action.VIEW_REPORT,
            Action.VIEW_INSPECTION,
            Action.RESPOND_INSPECTION,
            Action.VIEW_OFFICER,
            Action.CHANGE_OFFICER,
            Action.RUN_POPULATION_CHECK,  # a province checks its own subtree
            Action.SYNC_MEMBER,  # a province synchronises its part of the Party's member database
            Action.VIEW_ASSIGNMENT,
            Action.ASSIGN_VOLUNTEER,
        }
        | _DATA_REVIEW
    ),
    Role.GRASSROOTS_OFFICER: frozenset(
        _READ
        | _EDIT_MEMBERS
        | _EXCHANGE
        | _PROCEDURES
        | _DATA_REVIEW
        | {
            Action.VIEW_REPORT,
            Action.VIEW_INSPECTION,
            Action.RESPOND_INSPECTION,
            Action.VIEW_ASSIGNMENT,
            Action.ASSIGN_VOLUNTEER,  # a grassroots party committee assigns volunteers to its remote cells
        }
    ),
    # Review and correction start at the cell: the secretary corrects records, the committees add members.
    Role.CELL_SECRETARY: frozenset(
        _READ
        | _EXCHANGE
        | _PROCEDURES
        | _DATA_REVIEW
        | {Action.CHANGE_MEMBER, Action.EXPORT_MEMBER, Action.VIEW_REPORT, Action.VIEW_ASSIGNMENT}
    ),
    # The Inspection Commission reads its scope, including the audit log, and changes nothing.
    Role.INSPECTOR: frozenset(
        _READ
        | {
            Action.EXPORT_MEMBER,
            Action.VIEW_AUDIT,
            Action.VIEW_CASE,
            Action.VIEW_JOB,
            Action.VIEW_CARD,
            Action.VIEW_BATCH,
            Action.VIEW_REPORT,
            Action.VIEW_INSPECTION,
            Action.CHANGE_INSPECTION,
            Action.VIEW_POPULATION_CHECK,
            Action.VIEW_ASSIGNMENT,
        }
        | _PROCEDURES_READ
    ),
    # Issue 17 (DOMAIN.md: the Youth Union helps remote cells review and update member data): over the cells
    # of their unexpired assignments only; reads those members, takes out and brings back review workbooks,
    # and decides nothing (an officer applies what they bring back).
    Role.YOUTH_VOLUNTEER: frozenset(
        {
            Action.VIEW_ORGANISATION,
            Action.VIEW_MEMBER,
            Action.SEARCH_MEMBER,
            Action.EXPORT_REVIEW,
            Action.IMPORT_REVIEW,
            Action.VIEW_ASSIGNMENT,
            Action.VIEW_JOB,
        }
    ),
    # A member, over their own record: their case and cards, and their side of the procedures.
    Role.MEMBER: frozenset(
        {Action.VIEW_MEMBER, Action.VIEW_CASE, Action.VIEW_CARD, Action.CLAIM_PAYMENT, Action.REPORT_LOSS}
        | _PROCEDURES_READ
        | {Action.VIEW_DEVICE, Action.CHANGE_DEVICE}
    ),
}


def allowed(role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())


def scope_kind(role: str) -> ScopeKind:
    """A member acts on their own record, a Youth Union volunteer on the cells of their unexpired
    assignments (issue 17), every other role on its organisation's subtree."""
    if role == Role.MEMBER:
        return ScopeKind.OWN
    if role == Role.YOUTH_VOLUNTEER:
        return ScopeKind.ASSIGNED
    return ScopeKind.SUBTREE


class RoleTable:
    """``core.scope``'s ``ScopePolicy``: the table above, as the scope filter asks it."""

    def role_of(self, actor: Any) -> str:
        return Role.CENTRAL_ADMIN if actor.is_superuser else actor.role

    def allowed(self, role: str, action: str) -> bool:
        return allowed(role, action)

    def scope_kind(self, role: str) -> ScopeKind:
        return scope_kind(role)

    def whole_tree(self, role: str) -> bool:
        return role == Role.CENTRAL_ADMIN

    def assigned_paths(self, actor: Any) -> list[str]:
        """The paths of the cells ``actor`` is assigned to today: not revoked, ``starts_on <= today <=
        ends_on`` (``accounts.models.VolunteerAssignment``). Read on every call, so an assignment ends by
        itself at the end of its last day, and a revocation at once."""
        # By the app registry, not an import: models.py imports this module (one way only).
        assignments = apps.get_model("accounts", "VolunteerAssignment").objects
        today = clock.today()
        return sorted(
            set(
                assignments.filter(
                    volunteer_id=actor.pk, revoked_at__isnull=True, starts_on__lte=today, ends_on__gte=today
                ).values_list("organisation__path", flat=True)
            )
        )
