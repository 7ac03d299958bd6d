from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "partycard.registry"
    label = "registry"
    verbose_name = _("Party member registry")

    def ready(self) -> None:
        from partycard.registry import jobs

        jobs.register_kinds()
