"""The registry's web pages. Thin views: parse, call one selector or service, render (STYLE.md rule 8).

Every page starts from the actor's scope (``selectors.scope_root`` / ``objects.scoped``); an object outside
it is a 404, the same as a missing one.
"""

from partycard.registry.views.dashboard import home
from partycard.registry.views.exporting import member_export
from partycard.registry.views.importing import import_page
from partycard.registry.views.members import (
    member_create,
    member_detail,
    member_edit,
    member_list_page,
)
from partycard.registry.views.organisations import organisation_children, organisation_tree

__all__ = [
    "home",
    "import_page",
    "member_create",
    "member_detail",
    "member_edit",
    "member_export",
    "member_list_page",
    "organisation_children",
    "organisation_tree",
]
