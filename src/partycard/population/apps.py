from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PopulationConfig(AppConfig):
    name = "partycard.population"
    label = "population"
    verbose_name = _("Cross-check with the national population database")

    def ready(self) -> None:
        from partycard.population.jobs import register_kinds

        register_kinds()
