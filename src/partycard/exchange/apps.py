from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "partycard.exchange"
    label = "exchange"
    verbose_name = _("Card exchange")

    def ready(self) -> None:
        from partycard.exchange import jobs
        from partycard.exchange.services.evaluation import verdicts_recount
        from partycard.exchange.services.standing import on_members_changed
        from partycard.exchange.views.member import PANEL_ORDER, member_cases_panel
        from partycard.registry.hooks import member_change_handler_register, members_moved_handler_register
        from partycard.registry.panels import member_panel_register

        jobs.register_kinds()
        member_panel_register("exchange.cases", member_cases_panel, order=PANEL_ORDER)
        # Re-evaluate the members' cases on every member change, first of the handlers (registry/hooks.py).
        member_change_handler_register("exchange.reevaluate", on_members_changed, order=100)
        # A member who changes cell takes their verdicts' counts along (exchange/hooks.py).
        members_moved_handler_register("exchange.verdicts", verdicts_recount)
