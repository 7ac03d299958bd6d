from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _request_id_clear(**kwargs: Any) -> None:
    from partycard.ops.logs import request_id_var

    request_id_var.set("")


class OpsConfig(AppConfig):
    name = "partycard.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from django.core.signals import request_finished

        # The request id lives until the response is closed (after Django's own request log line).
        request_finished.connect(_request_id_clear, dispatch_uid="partycard.ops.request_id")
