"""The case ends at the Centre's acceptance: what came after it (production, the way down, the hand-over,
the old card's recovery and destruction) moves to the cards (``cards/lifecycle.py``).

Each case with a card number gets its new card in the state the case had reached; the case becomes
``accepted``. A case cancelled after acceptance leaves a revoked card. The member's old card follows the
hand-over: superseded, recovered or destroyed.
"""

from django.db import migrations
from django.utils import timezone

# Old case state → (new card state, its level, the old card's state after it; None: unchanged).
_CARD = {
    "accepted": ("allocated", "", None),
    "in_production": ("in_production", "", None),
    "produced": ("produced", "centre", None),
    "sent": ("received", "cell", None),
    "handed_over": ("active", "", "superseded"),
    "old_recovered": ("active", "", "recovered"),
    "old_destroyed": ("active", "", "destroyed"),
}


def cases_to_cards(apps, schema_editor):
    Case = apps.get_model("exchange", "Case")
    ChipImageRecord = apps.get_model("exchange", "ChipImageRecord")
    Card = apps.get_model("cards", "Card")
    CardEvent = apps.get_model("cards", "CardEvent")
    at = timezone.now()
    sods = dict(ChipImageRecord.objects.values_list("case_id", "sod_sha256"))
    for case in Case.objects.filter(card_number__isnull=False).order_by("pk").iterator(chunk_size=2000):
        reached = case.held_from if case.state == "on_hold" else case.state
        if case.state == "cancelled":
            state, level, old = "revoked", "", None
        elif reached in _CARD:
            state, level, old = _CARD[reached]
        else:
            continue
        card = Card.objects.create(
            number=case.card_number,
            kind="new",
            member_id=case.member_id,
            case_id=case.pk,
            path=case.path,
            state=state,
            level=level,
            holder_id=case.organisation_id if level == "cell" else None,
            sod_sha256=sods.get(case.pk, ""),
            note=case.note if case.state == "cancelled" else "",
            created_at=at,
            updated_at=at,
        )
        CardEvent.objects.create(card=card, transition="allocate", to_state=state, level=level, at=at)
        if old is not None:
            for previous in Card.objects.filter(member_id=case.member_id, kind="old", state="active"):
                previous.state, previous.updated_at = old, at
                previous.save(update_fields=["state", "updated_at"])
                CardEvent.objects.create(
                    card=previous, transition="supersede", from_state="active", to_state=old, at=at
                )
        if case.state != "cancelled":
            Case.objects.filter(pk=case.pk).update(state="accepted", held_from="", updated_at=at)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0006_cards_take_over"), ("cards", "0002_old_cards")]

    operations = [migrations.RunPython(cases_to_cards, migrations.RunPython.noop)]
