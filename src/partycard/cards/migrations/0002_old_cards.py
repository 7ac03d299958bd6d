"""Every current member's old 8-digit card (2003 exchange) becomes a card of its own, in use."""

from django.db import migrations
from django.utils import timezone

_CHUNK = 5000


def old_cards(apps, schema_editor):
    Member = apps.get_model("registry", "Member")
    Card = apps.get_model("cards", "Card")
    CardEvent = apps.get_model("cards", "CardEvent")
    at = timezone.now()
    rows = (
        Member.objects.filter(status__in=["official", "probationary"], old_card_number__isnull=False)
        .exclude(old_card_number="")
        .order_by("pk")
        .values_list("pk", "old_card_number", "organisation__path")
    )
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last)[:_CHUNK])
        if not chunk:
            break
        last = chunk[-1][0]
        made = Card.objects.bulk_create(
            Card(number=n, kind="old", member_id=pk, path=p, state="active", created_at=at, updated_at=at)
            for pk, n, p in chunk
        )
        CardEvent.objects.bulk_create(
            CardEvent(card_id=c.pk, transition="register_old", to_state="active", at=at) for c in made
        )


class Migration(migrations.Migration):
    # After the registry's data migration: members once "transferred out" are members again (a transfer
    # is not leaving the Party), and keep their old card.
    dependencies = [("cards", "0001_initial"), ("registry", "0007_drop_dues_count_and_transferred_out")]

    operations = [migrations.RunPython(old_cards, migrations.RunPython.noop)]
