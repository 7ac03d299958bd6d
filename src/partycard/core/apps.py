from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "partycard.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from partycard.core import checks  # noqa: F401 - registers the deployment check
        from partycard.trust.oids import oid_arc_configure

        # The trust library imports no Django: it learns the deployment's OID arc here, once, at start.
        oid_arc_configure(settings.PARTYCARD["OID_ARC"])
