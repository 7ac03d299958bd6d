from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductionConfig(AppConfig):
    name = "partycard.production"
    label = "production"
    verbose_name = _("Card production")

    def ready(self) -> None:
        from partycard.production import jobs

        jobs.register_kinds()
