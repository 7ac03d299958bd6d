from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MemberAppConfig(AppConfig):
    name = "partycard.memberapp"
    label = "memberapp"
    verbose_name = _("The member's app")

    def ready(self) -> None:
        from partycard.memberapp.views import PANEL_ORDER, member_devices_panel
        from partycard.registry.panels import member_panel_register

        member_panel_register("memberapp.devices", member_devices_panel, order=PANEL_ORDER)
