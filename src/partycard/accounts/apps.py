from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "partycard.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from partycard.accounts import checks  # noqa: F401 - registers the deployment check
        from partycard.accounts.roles import RoleTable
        from partycard.core.scope import scope_policy_register

        # The scope filter (core, below this app) reads this app's role table.
        scope_policy_register(RoleTable())
