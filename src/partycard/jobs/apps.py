from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "partycard.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        from partycard.jobs.metrics import jobs_collect
        from partycard.ops.metrics import scrape_collector_register

        scrape_collector_register("jobs", jobs_collect)
