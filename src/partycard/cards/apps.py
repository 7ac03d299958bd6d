from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CardsConfig(AppConfig):
    name = "partycard.cards"
    label = "cards"
    verbose_name = _("Party membership cards")

    def ready(self) -> None:
        from partycard.cards.services import members_cards_follow, members_cards_recount
        from partycard.cards.views import PANEL_ORDER, member_cards_panel
        from partycard.registry.hooks import member_change_handler_register, members_moved_handler_register
        from partycard.registry.panels import member_panel_register

        # After the exchange's re-evaluation, before the e-card's (registry/hooks.py lists the order).
        member_change_handler_register("cards.follow", members_cards_follow, order=150)
        # A member who changes cell takes their cards' counts along (registry/hooks.py).
        members_moved_handler_register("cards.count", members_cards_recount)
        member_panel_register("cards", member_cards_panel, order=PANEL_ORDER)
