"""E-cards issued before the card was a record of its own took the number of any case (even a cancelled
or unproduced one) or fell back to the old 8-digit card. From now on an e-card stands for the member's new
card in use (issue 13): every e-card still valid or suspended whose number is not such a card is revoked
here, its status-list entry flipped to INVALID (draft-ietf-oauth-status-list §7.1), so that it stops
verifying the next time verifiers fetch the list."""

from django.db import migrations

from partycard.ecard.status import STATUS_INVALID, status_list_set

_IN_USE = ["active", "suspended", "damaged"]


def revoke_ecards_without_a_card_in_use(apps, schema_editor):
    Credential = apps.get_model("credentials", "Credential")
    Card = apps.get_model("cards", "Card")
    StatusListRecord = apps.get_model("cards", "StatusListRecord")
    in_use = Card.objects.filter(kind="new", state__in=_IN_USE).values("number")
    stale = Credential.objects.filter(status__in=[0, 2]).exclude(card_number__in=in_use)
    by_list: dict[int, list[int]] = {}
    for list_id, index in stale.values_list("status_list_id", "status_index"):
        by_list.setdefault(list_id, []).append(index)
    for record in StatusListRecord.objects.filter(pk__in=by_list):
        packed = bytearray(record.packed)
        for index in by_list[record.pk]:
            status_list_set(packed, index, STATUS_INVALID, record.bits)
        record.packed, record.version = bytes(packed), record.version + 1
        record.save(update_fields=["packed", "version"])
    stale.update(status=1, status_reason="no_card_in_use")


class Migration(migrations.Migration):
    dependencies = [
        ("credentials", "0002_alter_credential_status_list_delete_statuslistrecord"),
        ("exchange", "0007_cases_to_cards"),
    ]

    operations = [migrations.RunPython(revoke_ecards_without_a_card_in_use, migrations.RunPython.noop)]
