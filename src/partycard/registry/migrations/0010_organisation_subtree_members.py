"""The commune-level committees keep their subtree's member total (``Organisation.subtree_members``), from
which the organisation tree sums a province's and the Centre's members (docs/registry.md)."""

from django.db import migrations, models

COMMUNE = 2  # OrgLevel.COMMUNE


def fill(apps, schema_editor):
    Organisation = apps.get_model("registry", "Organisation")
    totals = dict.fromkeys(Organisation.objects.filter(level=COMMUNE).values_list("path", flat=True), 0)
    rows = Organisation.objects.filter(member_count__gt=0).values_list("path", "member_count")
    for path, n in rows.iterator(chunk_size=20_000):
        codes = path.rstrip(".").split(".")
        for i in range(len(codes)):
            prefix = ".".join(codes[: i + 1]) + "."
            if prefix in totals:
                totals[prefix] += n
    by_total = {}
    for path, n in totals.items():
        if n:
            by_total.setdefault(n, []).append(path)
    for n, paths in by_total.items():
        Organisation.objects.filter(path__in=paths).update(subtree_members=n)


class Migration(migrations.Migration):
    dependencies = [("registry", "0009_fill_member_search_index")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="subtree_members",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
