from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "partycard.exchange"
    label = "exchange"
    verbose_name = _("Card exchange")

    def ready(self) -> None:
        from partycard.exchange import jobs
        from partycard.exchange.services.evaluation import on_members_changed
        from partycard.exchange.views.member import PANEL_ORDER, member_cases_panel
        from partycard.registry.panels import member_panel_register
        from partycard.registry.signals import members_changed

        members_changed.connect(on_members_changed, dispatch_uid="exchange.reevaluate")
        jobs.register_kinds()
        member_panel_register("exchange.cases", member_cases_panel, order=PANEL_ORDER)
