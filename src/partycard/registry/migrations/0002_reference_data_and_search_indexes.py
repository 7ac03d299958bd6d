"""The 54 ethnic groups, and on PostgreSQL the trigram indexes for accent-insensitive contains-search.

SQLite has no trigram index; there ``LIKE '%…%'`` on the folded column scans, which is fine at the
embedded scale that SQLite serves here.
"""

from django.db import migrations

from partycard.registry.seeding.data import ETHNICITIES

TRGM_INDEXES = [
    ("registry_member_name_trgm", "registry_member"),
    ("registry_org_name_trgm", "registry_organisation"),
]


def load_ethnicities(apps, schema_editor):
    Ethnicity = apps.get_model("registry", "Ethnicity")
    Ethnicity.objects.bulk_create([Ethnicity(code=c, name=n) for c, n in ETHNICITIES], ignore_conflicts=True)


def create_trgm(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in TRGM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (name_search gin_trgm_ops)"
        )


def drop_trgm(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in TRGM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        migrations.RunPython(load_ethnicities, migrations.RunPython.noop),
        migrations.RunPython(create_trgm, drop_trgm),
    ]
