from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistributionConfig(AppConfig):
    name = "partycard.distribution"
    label = "distribution"
    verbose_name = _("Card distribution")

    def ready(self) -> None:
        from partycard.distribution import jobs

        jobs.register_kinds()
