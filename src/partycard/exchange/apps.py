from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "partycard.exchange"
    label = "exchange"
    verbose_name = _("Card exchange")

    def ready(self) -> None:
        from partycard.exchange import jobs
        from partycard.exchange.services.standing import on_members_changed
        from partycard.registry.signals import members_changed

        members_changed.connect(on_members_changed, dispatch_uid="exchange.reevaluate")
        jobs.register_kinds()
