"""The electronic party card in the app: credentials issued to members, their status lists, and the
verify, trust-list and status-list endpoints (docs/ecard.md). The formats are ``partycard.ecard``'s and
the verdicts ``partycard.verify``'s; this app keeps the state and serves it."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CredentialsConfig(AppConfig):
    name = "partycard.credentials"
    label = "credentials"
    verbose_name = _("Electronic party cards")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from partycard.cards.hooks import cards_changed_handler_register
        from partycard.credentials.services import on_cards_changed, on_members_changed
        from partycard.registry.hooks import member_change_handler_register

        # After the exchange's re-evaluation (registry/hooks.py lists every handler and why this order).
        member_change_handler_register("credentials.revoke", on_members_changed, order=200)
        # The e-card follows its card (cards/hooks.py).
        cards_changed_handler_register("credentials", on_cards_changed)
