"""Transfer of party activity (chuyển sinh hoạt đảng): official, temporary or internal, from the sending
committee's introduction letter to the receiving cell's confirmation by the member's e-card."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransfersConfig(AppConfig):
    name = "partycard.transfers"
    label = "transfers"
    verbose_name = _("Transfers of party activity")

    def ready(self) -> None:
        from partycard.registry.panels import member_panel_register
        from partycard.transfers.views import PANEL_ORDER, member_transfers_panel

        member_panel_register("transfers", member_transfers_panel, order=PANEL_ORDER)
