# Data for two corrected rules (docs/exchange.md, "Eligibility"):
#
# * Dues: the count ``dues_months_unpaid`` ("months of dues unpaid", as of when it was typed) becomes the
#   list of months it stood for: the N months up to and including the month this migration runs (at most
#   12; a count is what the member owed then, the most recent months). History rows get the N months up
#   to their own date.
# * Transfer is not leaving the Party (DOMAIN.md): a ``transferred_out`` member becomes an official member
#   (if made official) or a probationary one, with a transfer in progress; the cell counters follow.

import datetime as dt

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

_ACTIVE = ("probationary", "official")


def _months_up_to(day, count):
    index = day.year * 12 + day.month - 1
    return [f"{(index - k) // 12:04d}-{(index - k) % 12 + 1:02d}" for k in range(min(count, 12) - 1, -1, -1)]


def _dues_to_months(apps, schema_editor):
    Member = apps.get_model("registry", "Member")
    HistoricalMember = apps.get_model("registry", "HistoricalMember")
    today = dt.date.today()
    counts = Member.objects.filter(dues_months_unpaid__gt=0).values_list("dues_months_unpaid", flat=True)
    for count in sorted(set(counts)):
        Member.objects.filter(dues_months_unpaid=count).update(dues_unpaid_months=_months_up_to(today, count))
    batch = []
    rows = HistoricalMember.objects.filter(dues_months_unpaid__gt=0).only(
        "history_id", "history_date", "dues_months_unpaid"
    )
    for row in rows.iterator(chunk_size=2000):
        row.dues_unpaid_months = _months_up_to(row.history_date.date(), row.dues_months_unpaid)
        batch.append(row)
        if len(batch) >= 2000:
            HistoricalMember.objects.bulk_update(batch, ["dues_unpaid_months"])
            batch = []
    if batch:
        HistoricalMember.objects.bulk_update(batch, ["dues_unpaid_months"])


def _months_to_dues(apps, schema_editor):
    Member = apps.get_model("registry", "Member")
    for member in Member.objects.exclude(dues_unpaid_months=[]).only("pk", "dues_unpaid_months"):
        Member.objects.filter(pk=member.pk).update(dues_months_unpaid=len(member.dues_unpaid_months or []))


def _transfers_stay_members(apps, schema_editor):
    Member = apps.get_model("registry", "Member")
    Organisation = apps.get_model("registry", "Organisation")
    moved = Member.objects.filter(status="transferred_out")
    cells = set(moved.values_list("organisation_id", flat=True))
    if not cells:
        return
    moved.filter(date_official__isnull=False).update(status="official", transfer_in_progress=True)
    moved.filter(date_official__isnull=True).update(status="probationary", transfer_in_progress=True)
    live = (
        Member.objects.filter(organisation=OuterRef("pk"), status__in=_ACTIVE)
        .order_by()
        .values("organisation")
        .annotate(n=Count("id"))
        .values("n")
    )
    Organisation.objects.filter(pk__in=cells).update(member_count=Coalesce(Subquery(live), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_member_conduct"),
    ]

    operations = [
        migrations.RunPython(_dues_to_months, _months_to_dues),
        # Not reversible: which members had been "transferred out" is not kept.
        migrations.RunPython(_transfers_stay_members, migrations.RunPython.noop),
    ]
