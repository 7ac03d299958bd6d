from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "partycard.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from partycard.accounts.hooks import user_disabled_handler_register
        from partycard.api.services import tokens_revoke_of_disabled

        # A disabled account's tokens are revoked, not only refused while it is disabled (accounts/hooks.py).
        user_disabled_handler_register("api", tokens_revoke_of_disabled)
