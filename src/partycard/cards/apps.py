from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CardsConfig(AppConfig):
    name = "partycard.cards"
    label = "cards"
    verbose_name = _("Party membership cards")

    def ready(self) -> None:
        from partycard.cards.services import members_cards_follow
        from partycard.registry.signals import members_changed

        def follow(sender: object, member_ids: list[int], actor: object = None, **_kwargs: object) -> None:
            members_cards_follow(member_ids, actor=actor)

        members_changed.connect(follow, dispatch_uid="cards.follow", weak=False)
