from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LossesConfig(AppConfig):
    name = "partycard.losses"
    label = "losses"
    verbose_name = _("Lost and damaged cards")
