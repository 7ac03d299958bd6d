"""Panels of the member page that apps above the registry add: the extension point of that page.

The registry sits below the apps that know more about a member (the exchange's cases, the cards app's
card), so its member page cannot import them. Each registers a panel provider here, in its
``AppConfig.ready()``; the page (``views/members.py``) renders every registered panel between the member's
facts and the record's history, by ascending ``order`` (then name).

A provider is ``provider(request, member)`` and returns one of:

- ``None``: nothing to show for this member, or for this viewer;
- ``(template_name, context)``: rendered here with the request (``render_to_string``);
- ``str``: HTML the provider rendered itself (``render_to_string``), used as is, so it must be escaped.

Providers run on every view of the page: they only read, and only what ``request.user`` may see (start from
``objects.scoped(request.user, action)``, as every read does).

Orders in use: ``exchange.cases`` 200. Leave room: a panel meant to come first takes a smaller number
(the member's current card, 100).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from partycard.registry.models import Member

__all__ = [
    "MemberPanel",
    "MemberPanelProvider",
    "PanelContent",
    "member_panel_register",
    "member_panels",
    "member_panels_render",
]

#: What a provider returns: nothing, a (template name, context) pair, or HTML it rendered itself.
PanelContent = str | tuple[str, Mapping[str, Any]] | None
MemberPanelProvider = Callable[[HttpRequest, Member], PanelContent]


@dataclass(frozen=True)
class MemberPanel:
    name: str  # "<app>.<what>", e.g. "exchange.cases"
    order: int  # smaller first
    provider: MemberPanelProvider


_PANELS: dict[str, MemberPanel] = {}


def member_panel_register(name: str, provider: MemberPanelProvider, *, order: int) -> None:
    """Show ``provider``'s panel on every member page, at ``order``; registering ``name`` again replaces it.

    Called from the providing app's ``AppConfig.ready()``.
    """
    _PANELS[name] = MemberPanel(name, order, provider)


def member_panels() -> list[MemberPanel]:
    """Every registered panel, in the order the page shows them."""
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.name))


def member_panels_render(request: HttpRequest, member: Member) -> list[SafeString]:
    """The HTML of each panel that has something to show for ``member`` to ``request.user``, in order."""
    shown: list[SafeString] = []
    for panel in member_panels():
        content = panel.provider(request, member)
        if content is None:
            continue
        if isinstance(content, str):
            shown.append(mark_safe(content))  # noqa: S308 - the provider's own render_to_string output
        else:
            template, context = content
            shown.append(mark_safe(render_to_string(template, dict(context), request=request)))  # noqa: S308
    return shown
