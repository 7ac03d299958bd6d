from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "partycard.reports"
    label = "reports"
    verbose_name = _("Progress reports")

    def ready(self) -> None:
        """Keep the counters: every lower app's count hook, in the writer's transaction (tallies.py)."""
        from partycard.cards.hooks import card_count_handler_register
        from partycard.exchange.hooks import case_count_handler_register, verdict_count_handler_register
        from partycard.registry.hooks import (
            member_count_handler_register,
            organisation_moved_handler_register,
        )
        from partycard.reports import jobs, tallies

        member_count_handler_register("reports.count", tallies.on_members_counted)
        organisation_moved_handler_register("reports.count", tallies.on_organisation_moved)
        case_count_handler_register("reports.count", tallies.on_cases_counted)
        verdict_count_handler_register("reports.count", tallies.on_verdicts_counted)
        card_count_handler_register("reports.count", tallies.on_cards_counted)
        jobs.register_kinds()
