"""The scope filter, defined once: what an actor may see or change is ``objects.scoped(actor, action)``.

A model opts in with ``ScopedManager`` and two class attributes: ``scope_path`` (the lookup of the
materialised path its subtree is read from) and ``scope_own`` (the lookup matched against the actor's own
member record, or None). A third kind of scope, ``ASSIGNED``, is the union of several subtrees handed to
the actor for a period (a Youth Union volunteer's cells, issue 17): the policy lists their paths on each
call, so an assignment that ends or is revoked takes the scope with it at once, with no job to run. An
action the role may not do gives an empty queryset; an object outside the scope answers 404 with the same
message as a missing one (``get_scoped_or_404``), so its existence does not leak.

core is the lowest app layer, so it holds the mechanism and not the role table: which role may do which
action, and over what, is a ``ScopePolicy`` that ``partycard.accounts`` (``accounts/roles.py``, the one
role table) registers at start-up. Until one is registered every scoped call raises, never allows.
"""

from __future__ import annotations

import operator
from enum import StrEnum
from functools import reduce
from typing import Any, Protocol, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _

from partycard.core.errors import DomainError, ErrorCode

__all__ = [
    "OutOfScope",
    "ScopeKind",
    "ScopePolicy",
    "ScopedManager",
    "ScopedQuerySet",
    "actor_may",
    "get_scoped_or_404",
    "role_of",
    "scope_path",
    "scope_policy_register",
    "scope_require",
]

M = TypeVar("M", bound=models.Model)


class ScopeKind(StrEnum):
    SUBTREE = "subtree"  # the user's organisation and everything under it
    OWN = "own"  # the user's own member record only
    ASSIGNED = "assigned"  # the subtrees (cells) of the user's unexpired assignments: a volunteer's


class ScopePolicy(Protocol):
    """What the scope filter asks the role table (``accounts.roles.RoleTable`` answers)."""

    def role_of(self, actor: Any) -> str:
        """The role an authenticated, active ``actor`` acts in."""
        ...

    def allowed(self, role: str, action: str) -> bool:
        """Whether ``role`` may do ``action`` (``<app>.<verb>_<model>``) at all."""
        ...

    def scope_kind(self, role: str) -> ScopeKind:
        """Over what ``role`` acts: a subtree of the organisation tree, or the actor's own record."""
        ...

    def whole_tree(self, role: str) -> bool:
        """Whether ``role`` acts on the whole tree when the actor belongs to no organisation."""
        ...

    def assigned_paths(self, actor: Any) -> list[str]:
        """For an ``ASSIGNED`` role: the paths of the subtrees the actor is assigned to today (none once
        every assignment has ended or been revoked)."""
        ...


_policy: ScopePolicy | None = None


def scope_policy_register(policy: ScopePolicy) -> None:
    """Make ``policy`` the role table every scoped call asks (``AccountsConfig.ready`` calls this once)."""
    global _policy
    _policy = policy


def _the_policy() -> ScopePolicy:
    if _policy is None:
        raise ImproperlyConfigured("No scope policy: partycard.accounts registers its role table on start.")
    return _policy


def role_of(actor: Any) -> str | None:
    """The role the actor acts in (a superuser acts as central administrator), or None if they cannot act."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return None
    return _the_policy().role_of(actor)


def actor_may(actor: Any, action: str) -> bool:
    """Whether the actor's role may do ``action`` at all (over which rows is ``scoped``'s to say): the menu's
    and a page's first question."""
    role = role_of(actor)
    return role is not None and _the_policy().allowed(role, action)


def scope_path(actor: Any) -> str | None:
    """The path prefix of the actor's subtree ("" for the whole tree), or None if they have no subtree.

    None for an ``ASSIGNED`` actor too: their scope is several subtrees, not one, so a caller that needs one
    subtree (a tree browser's top, a job's path, a report's root) refuses them, as it refuses a member.
    """
    role = role_of(actor)
    if role is None or _the_policy().scope_kind(role) != ScopeKind.SUBTREE:
        return None
    org = getattr(actor, "organisation", None)
    if org is None:
        return "" if _the_policy().whole_tree(role) else None
    return str(org.path)


class ScopedQuerySet(models.QuerySet[M]):
    def scoped(self, actor: Any, action: str) -> ScopedQuerySet[M]:
        """The rows ``actor`` may touch with ``action``: their subtree, their own record, or none."""
        role = role_of(actor)
        if role is None or not _the_policy().allowed(role, action):
            return self.none()
        kind = _the_policy().scope_kind(role)
        if kind == ScopeKind.OWN:
            own = getattr(self.model, "scope_own", None)
            member_id = getattr(actor, "member_id", None)
            return self.filter(**{own: member_id}) if own and member_id else self.none()
        if kind == ScopeKind.ASSIGNED:
            # Asked on every call, not remembered on the actor: a revocation (or midnight of the last day)
            # must end the scope for the next query of a request or a job already running.
            paths = _the_policy().assigned_paths(actor)
            if not paths:
                return self.none()
            lookup = f"{self.model.scope_path}__startswith"  # type: ignore[attr-defined]
            return self.filter(reduce(operator.or_, (models.Q(**{lookup: p}) for p in paths)))
        prefix = scope_path(actor)
        if prefix is None:
            return self.none()
        return self.filter(**{f"{self.model.scope_path}__startswith": prefix}) if prefix else self.all()  # type: ignore[attr-defined]


class ScopedManager(models.Manager[M]):
    def get_queryset(self) -> ScopedQuerySet[M]:
        return ScopedQuerySet(self.model, using=self._db)

    def scoped(self, actor: Any, action: str) -> ScopedQuerySet[M]:
        return self.get_queryset().scoped(actor, action)


def get_scoped_or_404(model: type[M], actor: Any, action: str, **lookup: Any) -> M:
    """The object, if it exists and is in the actor's scope for ``action``; otherwise the same 404."""
    try:
        return model.objects.scoped(actor, action).get(**lookup)  # type: ignore[attr-defined]
    except model.DoesNotExist as e:  # type: ignore[attr-defined]
        raise Http404(_("No such record.")) from e


class OutOfScope(DomainError):
    """A write names an object the actor may not touch: the same message and status as a missing one."""

    http_status = 404

    def __init__(self, field: str | None = None) -> None:
        super().__init__(_("No such record."), code=ErrorCode.NOT_FOUND, field=field)


def scope_require(actor: Any, action: str, *objects: models.Model | None, field: str | None = None) -> None:
    """Refuse unless every one of ``objects`` is in ``objects.scoped(actor, action)`` of its model.

    Every service that writes calls this for the object it changes **and** every organisation it points
    to (a new parent, a member's new cell), whatever door the call came through: a form's choices are a
    convenience, this is the rule. ``actor=None`` is the system (migrations, the seed, the operator's
    command line), which acts on the whole tree. ``None`` entries are skipped.

    Raises:
        OutOfScope: an object is outside the scope, or the role may not do ``action`` at all.
    """
    if actor is None:
        return
    by_model: dict[type[models.Model], set[Any]] = {}
    for obj in objects:
        if obj is not None:
            by_model.setdefault(type(obj), set()).add(obj.pk)
    for model, pks in by_model.items():
        if None in pks or model.objects.scoped(actor, action).filter(pk__in=pks).count() != len(pks):  # type: ignore[attr-defined]
            raise OutOfScope(field)
