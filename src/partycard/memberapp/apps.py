from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MemberAppConfig(AppConfig):
    name = "partycard.memberapp"
    label = "memberapp"
    verbose_name = _("The member's app")
