"""Party dues (đảng phí): the cell's record of each member's monthly payment, a member's own declaration
confirmed by the cell, and the arrears that Charter Art. 8(2) counts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuesConfig(AppConfig):
    name = "partycard.dues"
    label = "dues"
    verbose_name = _("Party dues")

    def ready(self) -> None:
        from partycard.dues import jobs

        jobs.register_kinds()
