from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "partycard.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from partycard.audit import signals  # noqa: F401 - login and failed-login events
