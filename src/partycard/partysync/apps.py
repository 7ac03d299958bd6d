from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartysyncConfig(AppConfig):
    name = "partycard.partysync"
    label = "partysync"
    verbose_name = _("Synchronisation with the party member database")
