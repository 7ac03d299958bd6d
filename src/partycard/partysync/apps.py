from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartysyncConfig(AppConfig):
    name = "partycard.partysync"
    label = "partysync"
    verbose_name = _("Synchronisation with the party member database")

    def ready(self) -> None:
        from partycard.partysync.jobs import register_kinds

        register_kinds()
